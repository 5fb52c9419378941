import Foundation

/// How a job that failed is tried again: how many attempts it has in all, and how long it
/// waits before each retry. A failed attempt is a run that threw (unless it threw
/// ``DoNotRetry``), that exceeded its maximum runtime without being resumable, or whose worker
/// crashed under it (a non-resumable job found running on a dead worker). A retried job goes
/// back to `pending`, due after the back-off; the last attempt's failure ends it `errored`.
///
/// ```swift
/// JobDefinition(retry: .exponential(maxAttempts: 5, base: .seconds(2), ceiling: .minutes(10))) { job, signal in ... }
/// ```
public struct RetryPolicy: Sendable {
    /// The delay before the retry that follows failed attempt `attempt` (1 for the first
    /// failure), given that attempt's error message: the custom form of a back-off.
    public typealias Delay = @Sendable (_ attempt: Int, _ error: String) -> Duration

    enum Backoff: Sendable {
        /// `base × 2^(attempt-1)`, at most `ceiling`, shortened by a random share of at most
        /// `jitter`.
        case exponential(base: Duration, ceiling: Duration, jitter: Double)
        case custom(Delay)
    }

    /// The attempts a job has in all, the first run included: 1 never retries. At least 1, at
    /// most ``maxAttemptsLimit``.
    public var maxAttempts: Int
    let backoff: Backoff

    /// The most attempts a policy or a job may give.
    public static let maxAttemptsLimit = 1_000

    /// No retry: a failed run ends the job `errored` (SPEC §4), the default. A job that gives
    /// its own ``Job/maxAttempts`` is retried with ``exponential(maxAttempts:base:ceiling:jitter:)``'s
    /// default back-off (1 s, doubling up to an hour).
    public static let none = RetryPolicy.exponential(maxAttempts: 1)

    /// Up to `maxAttempts` attempts, the retry after failed attempt n waiting `base × 2^(n-1)`,
    /// at most `ceiling`, shortened by a random share of at most `jitter` (0...1) so that jobs
    /// that failed together do not retry in step.
    public static func exponential(
        maxAttempts: Int, base: Duration = .seconds(1), ceiling: Duration = .seconds(3600), jitter: Double = 0.2
    ) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, backoff: .exponential(base: base, ceiling: ceiling, jitter: jitter))
    }

    /// Up to `maxAttempts` attempts, the retry after failed attempt n waiting `delay(n, error)`
    /// (negative delays count as none).
    public static func custom(maxAttempts: Int, delay: @escaping Delay) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, backoff: .custom(delay))
    }

    init(maxAttempts: Int, backoff: Backoff) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    /// Why the policy cannot work, or nil.
    var problem: String? {
        guard (1...Self.maxAttemptsLimit).contains(maxAttempts) else {
            return "maxAttempts is \(maxAttempts); it must be within 1...\(Self.maxAttemptsLimit)"
        }
        if case .exponential(let base, let ceiling, let jitter) = backoff {
            guard base >= .zero, ceiling >= base, (0...1).contains(jitter) else {
                return "the back-off needs 0 <= base <= ceiling and jitter within 0...1"
            }
        }
        return nil
    }

    /// The delay before the retry that follows failed attempt `attempt` (from 1), with `random`
    /// a draw in `0..<1` for the jitter. Never traps.
    func delay(afterAttempt attempt: Int, error: String, random: Double) -> Duration {
        switch backoff {
        case .custom(let delay):
            return max(delay(attempt, error), .zero)
        case .exponential(let base, let ceiling, let jitter):
            let doublings = min(max(attempt - 1, 0), 60)
            let grown = base.timeInterval * pow(2, Double(doublings))
            let capped = min(grown, ceiling.timeInterval)
            let share = 1 - jitter * min(max(random, 0), 1)
            return .nanoseconds(Int64((capped * share * 1e9).rounded()))
        }
    }
}

extension RetryPolicy {
    /// What a failed attempt of `job` (run under `definition`) records, and when the job runs
    /// again: nil when neither the definition nor the job gives more than one attempt (a job
    /// without retries stores nothing of its attempts, as SPEC §4 has it). `retryAt` is nil when
    /// no attempt is left or the failure is final (``DoNotRetry``). Pure: decides, no I/O.
    static func failedAttempt(
        of job: Job, definition: JobDefinition?, error: String, retryable: Bool, at date: Date, random: Double
    ) -> (failure: AttemptFailure, retryAt: Date?)? {
        let policy = definition?.retry ?? .none
        let maxAttempts = job.maxAttempts ?? policy.maxAttempts
        guard maxAttempts > 1 else { return nil }
        let failure = AttemptFailure(after: job, error: error, at: date)
        guard retryable, failure.attempts < maxAttempts else { return (failure, nil) }
        let delay = policy.delay(afterAttempt: failure.attempts, error: error, random: random)
        let retryAt = date.addingTimeInterval(delay.timeInterval)
        return (failure, Job.storableDates.contains(retryAt) ? retryAt : Job.storableDates.upperBound)
    }
}

/// Thrown by a handler (or wrapping the error it throws) to end its job `errored` at once,
/// whatever attempts its retry policy has left: the failure would only recur (a malformed
/// payload, a refused request).
public struct DoNotRetry: Error, CustomStringConvertible {
    /// The error that ends the job, shown (with its cause chain) as its `output.error`.
    public var cause: (any Error)?
    /// What the stored error says when there is no cause.
    public var message: String

    /// Ends the job for good with `cause` as its error.
    public init(_ cause: any Error) {
        self.cause = cause
        message = String(describing: cause)
    }

    /// Ends the job for good with `message` as its error.
    public init(_ message: String) {
        cause = nil
        self.message = message
    }

    /// The cause's description, or the message.
    public var description: String { message }

    /// What the job's `output.error` says: the cause's message and chain, or the message.
    var stored: String { cause.map(JobEnding.describe) ?? message }
}
