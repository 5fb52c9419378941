/// A BSON document that could not be read or written: which key, and why.
///
/// Descriptions name keys and types, never values, so payloads do not leak into logs.
public struct BSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable category.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The bytes are not a well-formed BSON document.
        public static let malformed = Code(name: "malformed")
        /// The document holds a BSON type this library does not read (decimal128, regex...).
        public static let unsupportedType = Code(name: "unsupported type")
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

    public init(_ code: Code, key: String? = nil, reason: String) {
        self.code = code
        self.key = key
        self.reason = reason
    }

    public var description: String {
        if let key { "BSON \(code) at \"\(key)\": \(reason)" } else { "BSON \(code): \(reason)" }
    }
}
