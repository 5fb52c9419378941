import Foundation
import BSON

/// What every store does alike to take a cron tick idempotently
/// (``JobStore/advanceCron(_:from:to:creating:)``): which document is the tick's task, and
/// which caller gets it.
package enum CronTick {
    /// `task` as every attempt at tick `due` of cron `name` stores it: under the tick's id
    /// (``ObjectId/init(cronTick:due:)``), whatever id it was made with.
    package static func task(_ task: Job, of name: String, due: Date) -> Job {
        var task = task
        task.id = ObjectId(cronTick: name, due: due)
        return task
    }

    /// Whether the caller that tried to store `attempt` owns the tick whose task is stored as
    /// `stored`, its call having moved the cron or not (`movedCron`). A task running for a
    /// worker belongs to that worker alone, which may have moved the cron in an earlier attempt
    /// whose reply it never got, and is the only one that may run it. Otherwise the tick is the
    /// caller's that moved the cron: exactly one does.
    package static func owns(_ stored: Job, attempt: Job, movedCron: Bool) -> Bool {
        if stored.status == .running, let runner = stored.workerId { return runner == attempt.workerId }
        return movedCron
    }
}
