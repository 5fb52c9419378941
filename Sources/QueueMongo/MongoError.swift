import CMongoC
import BSON
import Queue

/// A failed MongoDB operation: its category, the operation, and libmongoc's domain, code and
/// message.
///
/// Descriptions never hold documents or connection strings with passwords: libmongoc messages
/// name servers by host and port only, and ``MongoConnectionString`` redacts its password.
public struct MongoError: Error, Sendable, CustomStringConvertible {
    /// A stable category of failure; new categories can be added without breaking users.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A unique index refused the write (server code 11000).
        public static let duplicateKey = Code(name: "duplicate key")
        /// The server could not be reached or the connection broke (retry idempotent reads).
        public static let network = Code(name: "network error")
        /// The server is not the primary (or is recovering): retry against the new primary.
        public static let notPrimary = Code(name: "not primary")
        /// The server does not support a command or option (e.g. change streams on a standalone).
        public static let unsupported = Code(name: "unsupported by the server")
        /// The connection string is invalid.
        public static let invalidURI = Code(name: "invalid connection string")
        /// A reply or stored document could not be read.
        public static let invalidDocument = Code(name: "invalid document")
        /// Any other error the server or libmongoc reported.
        public static let other = Code(name: "error")
        public var description: String { name }
    }

    /// The category.
    public var code: Code
    /// What was being done, e.g. `findAndModify on job_processor.jobs`.
    public var operation: String
    /// libmongoc's error domain (`MONGOC_ERROR_*`), or 0.
    public var domain: UInt32
    /// libmongoc's or the server's numeric code, or 0.
    public var serverCode: UInt32
    /// libmongoc's or the server's message.
    public var message: String

    /// An error of category `code` in `operation`, with libmongoc's domain and code where it
    /// gave them (0 otherwise); `message` must not hold documents or passwords.
    public init(_ code: Code, operation: String, domain: UInt32 = 0, serverCode: UInt32 = 0, message: String) {
        self.code = code
        self.operation = operation
        self.domain = domain
        self.serverCode = serverCode
        self.message = message
    }

    /// Maps a libmongoc error (error API version 2) to a category.
    init(_ error: bson_error_t, operation: String) {
        let message = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        self.init(Self.classify(error.domain, error.code), operation: operation, domain: error.domain,
                  serverCode: error.code, message: message)
    }

    /// A statement the server refused inside a write command that ran (an entry of a reply's
    /// `writeErrors`), classified as libmongoc classifies a server error.
    init(writeError code: UInt32, operation: String, message: String) {
        let domain = MONGOC_ERROR_SERVER.rawValue
        self.init(Self.classify(domain, code), operation: operation, domain: domain, serverCode: code, message: message)
    }

    /// Whether retrying an idempotent operation may succeed.
    public var isTransient: Bool { code == .network || code == .notPrimary }

    public var description: String {
        "MongoDB \(code) in \(operation): \(message)" + (serverCode != 0 ? " (code \(serverCode))" : "")
    }

    private static func classify(_ domainValue: UInt32, _ code: UInt32) -> Code {
        let domain = mongoc_error_domain_t(rawValue: domainValue)
        switch (domain, code) {
        case (_, 11000), (_, 11001), (_, 12582): return .duplicateKey
        case (MONGOC_ERROR_STREAM, _), (MONGOC_ERROR_SERVER_SELECTION, _): return .network
        case (MONGOC_ERROR_SERVER, 10107), (MONGOC_ERROR_SERVER, 13435), (MONGOC_ERROR_SERVER, 13436),
            (MONGOC_ERROR_SERVER, 11600), (MONGOC_ERROR_SERVER, 11602), (MONGOC_ERROR_SERVER, 189),
            (MONGOC_ERROR_SERVER, 91):
            return .notPrimary
        case (MONGOC_ERROR_SERVER, 59), (MONGOC_ERROR_SERVER, 115), (MONGOC_ERROR_SERVER, 40324),
            (MONGOC_ERROR_SERVER, 40573):
            return .unsupported
        case (MONGOC_ERROR_BSON, _): return .invalidDocument
        default: return .other
        }
    }
}
