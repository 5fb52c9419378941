import BSON
import Foundation

/// One job of a batch for ``JobClient/schedule(many:)``: what
/// ``JobClient/schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)``
/// takes for one job.
public struct JobRequest: Sendable, Hashable {
    /// The job definition's name.
    public var name: String
    /// The application's data for the run, a BSON/JSON object; nil when there is none.
    public var payload: BSONDocument?
    /// When the job is due; nil for now.
    public var date: Date?
    /// The job's mode when the client knows no definitions (it must be the mode the job's
    /// definition declares); a processor's client takes the definition's.
    public var concurrency: ConcurrencyMode
    /// The job's ``Job/priority``; nil: its definition's when the client belongs to a
    /// processor, 0 otherwise.
    public var priority: Int?
    /// When the job, if not started by then, is skipped instead of run (``Job/expiresAt``).
    public var expiresAt: Date?
    /// The key at most one active job holds (``Job/uniqueKey``).
    public var uniqueKey: String?
    /// The attempts the job has in all (``Job/maxAttempts``); nil: its definition's.
    public var maxAttempts: Int?

    /// A job of `name` with `payload`, due at `date` (now when nil), in `concurrency` mode,
    /// with the options of ``JobClient/schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)``.
    public init(
        _ name: String, payload: BSONDocument? = nil, at date: Date? = nil, concurrency: ConcurrencyMode = .concurrent,
        priority: Int? = nil, expiresAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) {
        self.name = name
        self.payload = payload
        self.date = date
        self.concurrency = concurrency
        self.priority = priority
        self.expiresAt = expiresAt
        self.uniqueKey = uniqueKey
        self.maxAttempts = maxAttempts
    }
}
