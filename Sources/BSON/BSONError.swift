/// A BSON document that could not be read or written: which key, and why.
///
/// Descriptions name keys and types, never values, so payloads do not leak into logs.
public struct BSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable category.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The bytes are not a well-formed BSON document.
        public static let malformed = Code(name: "malformed")
        /// The document holds a type byte that is not in the BSON specification.
        public static let unsupportedType = Code(name: "unsupported type")
        /// Documents and arrays are nested deeper than allowed (MongoDB stores at most 100
        /// levels; readers refuse deeper input rather than recurse without bound).
        public static let tooDeep = Code(name: "too deep")
        /// The document is larger than MongoDB stores (16 MiB).
        public static let tooLarge = Code(name: "too large")
        /// The text is not valid (Extended) JSON, or not a JSON object.
        public static let invalidJSON = Code(name: "invalid JSON")
        public var description: String { name }
    }

    /// The category.
    public var code: Code
    /// The key path where it happened, when known.
    public var key: String?
    /// Why, in words.
    public var reason: String

    /// An error of category `code` at `key` (nil: the document as a whole), `reason` saying
    /// why without quoting the value.
    public init(_ code: Code, key: String? = nil, reason: String) {
        self.code = code
        self.key = key
        self.reason = reason
    }

    public var description: String {
        if let key { "BSON \(code) at \"\(key)\": \(reason)" } else { "BSON \(code): \(reason)" }
    }
}

extension BSONError {
    /// `keys` joined with dots, for ``key``; nil for the top level. Each key is cut to 40
    /// characters and a path of more than 8 keys keeps its first and last 4, so that a message
    /// about a deeply nested field stays one readable line.
    static func keyPath(_ keys: some Collection<String>) -> String? {
        guard !keys.isEmpty else { return nil }
        guard keys.count > 8 else { return keys.map(shortened).joined(separator: ".") }
        return (keys.prefix(4).map(shortened) + [elision(keys.count - 8)] + keys.suffix(4).map(shortened))
            .joined(separator: ".")
    }

    /// `key` cut to 40 characters, with `…` when it was longer.
    static func shortened(_ key: String) -> String {
        guard let end = key.index(key.startIndex, offsetBy: 40, limitedBy: key.endIndex), end < key.endIndex
        else { return key }
        return key[..<end] + "…"
    }

    /// What stands for `count` keys left out of the middle of a long path.
    static func elision(_ count: Int) -> String { "…(\(count) more)…" }
}
