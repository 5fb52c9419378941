import Foundation
import Loop
import BSON

/// A job this worker is running: what the worker keeps between claim and ending. A class, so that the job is not copied each time the entry moves (into the running
/// table, to its handler's task, into the queue of endings).
final class RunningJob: @unchecked Sendable {  // safe: the `var`s are touched only on the loop thread (by the worker's shell); other threads read only the `let`s (the handler's task reads `job` and `signal`)
    let job: Job
    let definition: JobDefinition
    let signal: JobSignal
    /// When the handler started, on the loop clock (for `output.duration`).
    let startedAt: LoopInstant
    /// The monitor check-in of a cron task: its cron, and the id shared by its check-ins.
    var checkIn: (cron: ScheduledCron, id: UUID)?
    /// Told the stored job once the ending is recorded (inline runs wait on it).
    var onRecorded: (@Sendable (Job?) -> Void)?

    init(job: Job, definition: JobDefinition, signal: JobSignal, startedAt: LoopInstant,
         onRecorded: (@Sendable (Job?) -> Void)?) {
        self.job = job
        self.definition = definition
        self.signal = signal
        self.startedAt = startedAt
        self.onRecorded = onRecorded
    }
}
