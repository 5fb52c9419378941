import Foundation
import BSON

/// Receives the check-ins of cron tasks: one when a task starts, one when it ends (SPEC §4,
/// "Monitor check-ins").
///
/// A monitor lets an outside service notice what the processor itself cannot report: a cron
/// that did not run on time (every worker down, a stuck queue) or a run that never ended.
/// ``SentryCronMonitor`` sends the check-ins to Sentry's cron monitors, as the Node original did.
///
/// Rules for implementations:
/// - ``checkIn(_:)`` never throws and never traps: a monitor failure must never change a job's
///   outcome. Log the failure through your own logger and return.
/// - Return in bounded time (use a request timeout): the processor may await the call.
/// - Send nothing anywhere until called. With no monitor configured the processor sends no
///   network traffic at all.
public protocol CronMonitor: Sendable {
    /// Reports one check-in. Returns once it was delivered or its delivery failed (and was
    /// logged); never throws.
    func checkIn(_ checkIn: CronCheckIn) async
}

/// One check-in of a cron task: its start (``Status/inProgress``) or its end (``Status/ok``,
/// ``Status/error``), with the cron's schedule so that the monitor can be created or updated
/// from the check-in itself.
///
/// The start and the end of one task carry the same ``checkInId``, which is how a monitor
/// pairs them (and computes the run time) even when runs of one cron overlap.
public struct CronCheckIn: Sendable, Hashable {
    /// Where a cron task is in its run. The raw values are Sentry's spellings.
    public enum Status: String, Sendable, Hashable, CustomStringConvertible {
        /// The task has started.
        case inProgress = "in_progress"
        /// The task's handler returned normally.
        case ok
        /// The task's handler threw, or the task was killed, interrupted or timed out.
        case error

        /// The status as Sentry spells it: `in_progress`, `ok` or `error`.
        public var description: String { rawValue }

        /// Whether this status ends a run (``ok`` or ``error``).
        public var isFinal: Bool { self != .inProgress }
    }

    /// The cron's name (a key of the configuration's crons).
    public var cronName: String
    /// Where the task is in its run.
    public var status: Status
    /// The id shared by a task's in-progress check-in and its final one.
    public var checkInId: UUID
    /// The cron expression the cron runs on (`cron_string`).
    public var schedule: String
    /// The time zone the schedule is computed in.
    public var timeZone: TimeZone
    /// Minutes of tolerance after the scheduled time before the monitor reports a missed run;
    /// nil: the monitor's default.
    public var checkinMargin: Int?
    /// Minutes a run may stay in progress before the monitor reports it timed out; nil: the
    /// monitor's default.
    public var maxRuntimeInMinutes: Int?
    /// How long the run took; set for final check-ins (``Status/ok``, ``Status/error``).
    public var duration: Duration?
    /// The cron task's job id, as 24 hexadecimal digits: for logs, to find the run in the store.
    public var taskId: String

    /// A check-in as the processor builds it from a cron definition and its running task.
    public init(
        cronName: String, status: Status, checkInId: UUID, schedule: String, timeZone: TimeZone,
        checkinMargin: Int? = nil, maxRuntimeInMinutes: Int? = nil, duration: Duration? = nil, taskId: String
    ) {
        self.cronName = cronName
        self.status = status
        self.checkInId = checkInId
        self.schedule = schedule
        self.timeZone = timeZone
        self.checkinMargin = checkinMargin
        self.maxRuntimeInMinutes = maxRuntimeInMinutes
        self.duration = duration
        self.taskId = taskId
    }
}

/// A cron monitor could not be configured: what and why, never a key in full.
///
/// Only configuration throws (``SentryDSN/init(_:)``); check-ins themselves never do, their
/// failures are logged (see ``CronMonitor``).
public struct CronMonitorError: Error, Sendable, CustomStringConvertible {
    /// A stable category; new ones can be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The Sentry DSN is malformed (see the message for the part at fault).
        public static let invalidDSN = Code(name: "invalid Sentry DSN")
        /// The category in words, as it starts ``CronMonitorError/description``.
        public var description: String { name }
    }

    /// The category of the problem.
    public var code: Code
    /// Why, naming the thing at fault, with keys redacted.
    public var message: String

    /// An error of category `code` explained by `message` (which must hold no secret).
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `<code>: <message>`, safe to log.
    public var description: String { "\(code): \(message)" }
}
