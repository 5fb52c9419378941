import Foundation
import BSON

/// What ``JobStore/kill(_:at:)`` did.
public enum KillOutcome: Sendable, Hashable {
    /// The job was pending or paused and is now `killed`.
    case killed(Job)
    /// The job is running: a signal was stored for its worker.
    case signalled(workerId: ObjectId)
    /// The job had already ended; nothing changed.
    case alreadyEnded(JobStatus)
    /// No job has this id.
    case notFound
}
