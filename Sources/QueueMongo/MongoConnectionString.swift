import CMongoC
import BSON
import Queue

/// A MongoDB connection string (`mongodb://user:password@host:port/?options`), checked by
/// libmongoc when created, and kept with a redacted form for logs and errors.
public struct MongoConnectionString: Sendable, CustomStringConvertible {
    /// The full string, password included: only ever handed to libmongoc.
    let raw: String

    /// What libmongoc said about the string while accepting it, e.g. `Unsupported URI option
    /// "replSet"`: parts it ignores. A strict caller (the command-line tool) refuses a string
    /// that has any; ``MongoDatabase/connect(_:database:ioThreads:serverSelectionTimeout:)``
    /// logs them as warnings.
    public let warnings: [String]

    /// Parses `raw` with libmongoc, at once rather than at the first connection.
    /// - Throws: ``MongoError`` with code `invalidURI` when libmongoc refuses the string; its
    ///   message is libmongoc's reason, followed by what libmongoc logged while parsing when
    ///   that says more (`Invalid host string in URI (Port could not be parsed)`). Neither the
    ///   error nor the log shows the password.
    public init(_ raw: String) throws(MongoError) {
        guard raw.hasPrefix("mongodb://") || raw.hasPrefix("mongodb+srv://") else {
            throw MongoError(.invalidURI, operation: "parsing the connection string",
                             message: "it must start with mongodb:// or mongodb+srv://")
        }
        self.raw = raw
        let parsed = try Self.parse(raw, redacted: Self.redacting(raw))
        mongoc_uri_destroy(parsed.uri)
        warnings = parsed.warnings
    }

    /// A libmongoc URI for this string, which the caller destroys, and libmongoc's warnings
    /// about it (logged by libmongoc on this thread while it parsed, gathered instead).
    func parsed() throws(MongoError) -> (uri: OpaquePointer, warnings: [String]) {
        try Self.parse(raw, redacted: redacted)
    }

    private static func parse(_ raw: String, redacted: String) throws(MongoError) -> (uri: OpaquePointer, warnings: [String]) {
        MongoLibrary.initialize()
        var error = bson_error_t()
        let (uri, messages) = MongoLog.collecting { mongoc_uri_new_with_error(raw, &error) }
        let said = messages.filter { $0.level >= .warning }.map(\.text)
        guard let uri else {
            let reason = MongoError(error, operation: "").message
            let details = said.filter { $0 != reason }
            throw MongoError(.invalidURI, operation: "parsing \(redacted)",
                             message: reason + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))"))
        }
        return (uri, said)
    }

    /// The string with any password replaced by `***`: safe to log.
    public var redacted: String { Self.redacting(raw) }

    /// `raw` with any password replaced by `***`, for a string that may not parse (to name it
    /// in an error). O(length).
    ///
    /// The user information ends at the last "@" before the path ("/") or options ("?"). With
    /// no "@" there but one later, a password may hold an unescaped "/" or "?" (which libmongoc
    /// refuses, in an error that shows this form): everything up to the last "@" is hidden
    /// then, at worst hiding an "@" that belonged to an option value.
    public static func redacting(_ raw: String) -> String {
        guard let scheme = raw.range(of: "://") else { return raw }
        let rest = raw[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@") ?? rest.lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":")
        else { return raw }
        return raw[..<raw.index(after: colon)] + "***" + raw[at...]
    }

    public var description: String { redacted }
}
