import Foundation
import BSON

/// A running job as crash recovery and a worker's own bookkeeping need it: its id, name, owner
/// and last update, each field read on its own, so that a job whose payload, output or any
/// other field cannot be read is still found and ended (SPEC §7: nothing a store holds can stop
/// crash recovery).
public struct RunningJobReference: Sendable, Hashable, Identifiable {
    /// The job's id (`_id`): always readable, as ``JobStore/runningJobs(_:limit:)`` lists only
    /// ObjectId ids.
    public var id: ObjectId
    /// The job's name; nil when the stored one is not a string.
    public var name: String?
    /// The worker running it; nil when the field is null or not an ObjectId.
    public var workerId: ObjectId?
    /// Its last change; nil when the field is not a date.
    public var updatedAt: Date?
    /// Whether it is an inline run (`sync`), which its own process started, not a claim.
    public var sync: Bool

    /// A reference from fields a store has read one by one.
    public init(id: ObjectId, name: String?, workerId: ObjectId?, updatedAt: Date?, sync: Bool) {
        self.id = id
        self.name = name
        self.workerId = workerId
        self.updatedAt = updatedAt
        self.sync = sync
    }
}

/// Which running jobs ``JobStore/runningJobs(_:limit:)`` lists.
public enum RunningJobSelection: Sendable, Hashable {
    /// The running jobs of this worker.
    case ownedBy(ObjectId)
    /// The running jobs whose worker is none of `liveWorkers` (its document is gone: a takeover
    /// interrupted by another crash), last changed before `updatedBefore` or at an unreadable
    /// time.
    case orphaned(liveWorkers: [ObjectId], updatedBefore: Date)
}
