import Foundation
import BSON

/// One ending for ``JobStore/finish(_:)``: the arguments of
/// ``JobStore/finish(_:by:as:output:at:resumeAt:)``, and the job as its worker claimed it.
public struct FinishRequest: Sendable, Hashable {
    /// The job to end.
    public var id: ObjectId
    /// The worker that runs it: the ending applies only while the job is `running` on it.
    public var workerId: ObjectId
    /// The status to record: a terminal one, `paused` to interrupt a resumable job, or
    /// `pending` to release a job claimed but never started.
    public var status: JobStatus
    /// What the run produced (`output`); nil stores none.
    public var output: JobOutput?
    /// When the ending happens: the job's `updated_at`, and its `ended_at` for a terminal status.
    public var at: Date
    /// Where `scheduled_for` moves (a job paused for exceeding its max runtime is not resumed
    /// at once); nil leaves it.
    public var resumeAt: Date?
    /// The job as the store returned it to `workerId`'s claim, when the caller has it. While a
    /// job runs nothing but its ending changes it (a kill is a signal, recovery changes its
    /// status, which the ending's guard checks), so the job after a recorded ending is
    /// ``applied(to:)`` this one: a store may return that rather than read the job back.
    public var claimed: Job?
    /// A failed attempt this ending records (the job's `attempts` and `attempt_errors` after
    /// it), nil for an ending that records none.
    public var failure: AttemptFailure?

    /// An ending with the arguments of ``JobStore/finish(_:by:as:output:at:resumeAt:)``, and
    /// the job as claimed when the caller has it.
    public init(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at: Date, resumeAt: Date? = nil,
        claimed: Job? = nil, failure: AttemptFailure? = nil
    ) {
        self.id = id
        self.workerId = workerId
        self.status = status
        self.output = output
        self.at = at
        self.resumeAt = resumeAt
        self.claimed = claimed
        self.failure = failure
    }

    /// `job` with this ending recorded, as a store reads it back: `status`, `output`,
    /// `updated_at`, `ended_at` for a terminal status, `scheduled_for` with `resumeAt`, and the
    /// failed attempt's count and errors, dates cut to milliseconds; no worker.
    public func applied(to job: Job) -> Job {
        var ended = job
        let now = Self.stored(at)
        ended.status = status
        ended.output = output
        ended.updatedAt = now
        ended.workerId = nil
        if status.isTerminal { ended.endedAt = now }
        if let resumeAt { ended.scheduledFor = Self.stored(resumeAt) }
        if let failure {
            ended.attempts = failure.attempts
            ended.attemptErrors = failure.errors.map { AttemptError(attempt: $0.attempt, error: $0.error, at: Self.stored($0.at)) }
        }
        return ended
    }

    /// `date` as the stores keep it: whole milliseconds since 1970, rounded down (BSON dates).
    private static func stored(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(BSONWriter.milliseconds(date)) / 1000)
    }
}
