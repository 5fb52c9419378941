/// A cron monitor could not be configured: what and why, never a key in full.
///
/// Only configuration throws (``SentryDSN/init(_:)``); check-ins themselves never do, their
/// failures are logged (see ``CronMonitor``).
public struct CronMonitorError: Error, Sendable, CustomStringConvertible {
    /// A stable category; new ones can be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The Sentry DSN is malformed (see the message for the part at fault).
        public static let invalidDSN = Code(name: "invalid Sentry DSN")
        public var description: String { name }
    }

    /// The category of the problem.
    public var code: Code
    /// Why, naming the thing at fault, with keys redacted.
    public var message: String

    /// An error of category `code` explained by `message` (which must hold no secret).
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
