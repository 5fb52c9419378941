import BSON

/// A processor operation refused or failed: what and why, never payload contents or secrets.
public struct QueueError: Error, Sendable, CustomStringConvertible {
    /// A stable category; new ones can be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The configuration cannot work (empty worker tags, bad intervals...).
        public static let invalidConfiguration = Code(name: "invalid configuration")
        /// No job definition has this name.
        public static let unknownJob = Code(name: "unknown job")
        /// The payload cannot be stored (not an object, too large).
        public static let invalidPayload = Code(name: "invalid payload")
        /// A date no store can hold (SPEC §7: years 1 to 9999, as MongoDB allows).
        public static let invalidDate = Code(name: "invalid date")
        /// A scheduling option out of its range (a priority, a maximum of attempts), or one the
        /// store cannot hold.
        public static let invalidOption = Code(name: "invalid option")
        /// The store failed (see the message for the underlying error).
        public static let store = Code(name: "store error")
        /// The processor is not running, or is stopping.
        public static let notRunning = Code(name: "processor not running")
        public var description: String { name }
    }

    /// The category, for callers that handle some failures apart (retry a `store` error).
    public var code: Code
    /// Why, naming the thing at fault.
    public var message: String
    /// For a call on several jobs (``JobClient/schedule(many:)``): the position, in the array
    /// given, of the job the error is about; nil when it is about no job in particular.
    public var jobIndex: Int?

    /// An error of category `code`; `message` names the thing at fault and must not quote a
    /// payload or a secret. `jobIndex`: the position of the job at fault in a batch.
    public init(_ code: Code, _ message: String, jobIndex: Int? = nil) {
        self.code = code
        self.message = message
        self.jobIndex = jobIndex
    }

    init(_ error: JobStoreError) { self.init(.store, error.description, jobIndex: error.jobIndex) }

    /// `<code>: <message>`; the message of an error about one job of a batch names its index.
    public var description: String { "\(code): \(message)" }
}
