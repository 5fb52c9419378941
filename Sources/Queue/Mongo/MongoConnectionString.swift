/// A MongoDB connection string (`mongodb://user:password@host:port/?options`), kept with a
/// redacted form for logs and errors.
public struct MongoConnectionString: Sendable, CustomStringConvertible {
    /// The full string, password included: only ever handed to libmongoc.
    let raw: String

    /// Accepts `mongodb://` and `mongodb+srv://` strings; libmongoc validates the rest when the
    /// pool is created.
    public init(_ raw: String) throws(MongoError) {
        guard raw.hasPrefix("mongodb://") || raw.hasPrefix("mongodb+srv://") else {
            throw MongoError(.invalidURI, operation: "parsing the connection string",
                             message: "it must start with mongodb:// or mongodb+srv://")
        }
        self.raw = raw
    }

    /// The string with any password replaced by `***`: safe to log.
    public var redacted: String {
        // The user information ends at the last "@" before the path ("/") or options ("?").
        guard let scheme = raw.range(of: "://") else { return raw }
        let authority = raw[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" }
        guard let at = authority.lastIndex(of: "@"),
              let colon = authority[..<at].firstIndex(of: ":")
        else { return raw }
        return raw[..<raw.index(after: colon)] + "***" + raw[at...]
    }

    public var description: String { redacted }
}
