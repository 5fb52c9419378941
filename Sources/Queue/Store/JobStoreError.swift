import BSON

/// A store operation that failed: what was done and why. Never holds payloads or secrets.
public struct JobStoreError: Error, Sendable, CustomStringConvertible {
    /// A stable category; new ones can be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The database could not be reached (or answered with a transient error).
        public static let unavailable = Code(name: "database unavailable")
        /// A stored document could not be read as a job, worker or signal.
        public static let invalidDocument = Code(name: "invalid document")
        /// The job cannot be stored (too large, not an object...).
        public static let invalidJob = Code(name: "invalid job")
        /// Any other database failure.
        public static let database = Code(name: "database error")
        public var description: String { name }
    }

    /// The category: workers take `invalidJob` and `invalidDocument` as one document's
    /// problem, any other code as the store failing (an outage to back off from).
    public var code: Code
    /// What was being done, e.g. `claim` or `insert job 6650...`.
    public var operation: String
    /// Why, in words (the underlying error's description).
    public var reason: String
    /// For a call on several jobs (``JobStore/insert(many:)``): the position, in the array
    /// given, of the job the error is about; nil when it is about no job in particular.
    public var jobIndex: Int?

    /// An error of category `code` in `operation`; `reason` must not quote a payload or a
    /// secret. `jobIndex`: the position of the job at fault in a batch.
    public init(_ code: Code, operation: String, reason: String, jobIndex: Int? = nil) {
        self.code = code
        self.operation = operation
        self.reason = reason
        self.jobIndex = jobIndex
    }

    /// `job store <code> in <operation>: <reason>`, with `(job at index <n>)` after the
    /// operation when the error is about one job of a batch.
    public var description: String {
        "job store \(code) in \(operation)\(jobIndex.map { " (job at index \($0))" } ?? ""): \(reason)"
    }
}
