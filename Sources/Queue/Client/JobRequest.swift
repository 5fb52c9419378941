import BSON
import Foundation

/// One job of a batch for ``JobClient/schedule(many:)``: what
/// ``JobClient/schedule(_:payload:at:concurrency:)`` takes for one job.
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

    /// A job of `name` with `payload`, due at `date` (now when nil), in `concurrency` mode.
    public init(_ name: String, payload: BSONDocument? = nil, at date: Date? = nil, concurrency: ConcurrencyMode = .concurrent) {
        self.name = name
        self.payload = payload
        self.date = date
        self.concurrency = concurrency
    }
}
