import Foundation

/// One failed attempt of a job, as stored in its `attempt_errors` (the last
/// ``Job/keptAttemptErrors`` of them).
public struct AttemptError: Sendable, Hashable {
    /// Which failed attempt it was, from 1.
    public var attempt: Int
    /// Its error: the handler's message and cause chain, "Max runtime exceeded", or "Worker
    /// crashed unexpectedly".
    public var error: String
    /// When it was recorded.
    public var at: Date

    /// A failed attempt's record.
    public init(attempt: Int, error: String, at: Date) {
        self.attempt = attempt
        self.error = error
        self.at = at
    }
}

/// What an ending records of a failed attempt (``FinishRequest/failure``): the job's count of
/// failed attempts and its last errors after this one.
public struct AttemptFailure: Sendable, Hashable {
    /// The job's failed attempts, this one included (`attempts`).
    public var attempts: Int
    /// The last errors, oldest first, this one last, at most ``Job/keptAttemptErrors``
    /// (`attempt_errors`).
    public var errors: [AttemptError]

    /// The record after `job`'s failed attempt with `error` at `date`.
    public init(after job: Job, error: String, at date: Date) {
        attempts = job.attempts &+ 1
        let kept = job.attemptErrors + [AttemptError(attempt: attempts, error: error, at: date)]
        errors = Array(kept.suffix(Job.keptAttemptErrors))
    }
}
