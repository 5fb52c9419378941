import Foundation
import BSON

/// A declared cron as the store keeps it: one document per name (`type: "cron"` in
/// `job_processor.jobs`), holding its expression and next due time (SPEC §2, §4 "Crons").
public struct CronRecord: Sendable, Hashable {
    /// The cron's name (a key of ``QueueConfiguration/crons``).
    public var name: String
    /// The cron expression (`cron_string`).
    public var cronString: String
    /// When its next task is due (`scheduled_for`).
    public var scheduledFor: Date

    /// A cron's document, as ``JobStore/syncCrons(_:at:)`` takes and returns it.
    public init(name: String, cronString: String, scheduledFor: Date) {
        self.name = name
        self.cronString = cronString
        self.scheduledFor = scheduledFor
    }
}
