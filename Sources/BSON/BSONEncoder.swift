import Foundation

/// Encodes `Encodable` values as BSON: how a typed job's payload becomes the stored `payload`
/// document.
///
/// Mappings, and why:
/// - `Bool`, `String`, `Double` and `Float` become bool, string and double.
/// - Integers become int32 when they fit and int64 otherwise, as `BSON(Int)` does; an unsigned
///   or 128-bit value beyond int64 is refused rather than wrapped, since BSON has no unsigned
///   or wider integer.
/// - `Date` becomes a BSON date (Foundation's encoders write a number), `Data` binary of
///   subtype 0, `UUID` binary of subtype 4 and `URL` its absolute string, so that MongoDB
///   queries and other drivers see the natural types.
/// - ``ObjectId``, ``Decimal128``, ``BSON`` and ``BSONDocument`` pass through unchanged, so a
///   payload type can carry raw BSON.
/// - A nil optional encoded with `encodeIfPresent` (what synthesized conformances do) leaves
///   its field out; `encodeNil` writes null.
/// - Arrays become arrays and keyed containers (structs, classes, dictionaries with `String`
///   or `Int` keys) documents, keys used as they are and in the order encoded. A key holding
///   NUL is refused: BSON keys are C strings.
///
/// Errors are `EncodingError`s carrying the coding path of the offending value; their
/// descriptions name types, never values. Encoding recurses once per level of the value, as
/// the value's own `encode(to:)` does.
public struct BSONEncoder: Sendable {
    /// Values handed to every `encode(to:)` as `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// An encoder with no `userInfo`.
    public init() {}

    /// The document `value` encodes as: `value` must encode a keyed container (a struct, a
    /// class or a dictionary), since a stored payload is a document.
    /// - Throws: `EncodingError.invalidValue` when a value cannot be encoded, naming its coding
    ///   path, or when `value` encodes as anything but a document.
    /// - Complexity: O(size of the value).
    public func encode<Value: Encodable>(_ value: Value) throws -> BSONDocument {
        let encoded = try encodeValue(value)
        guard case .document(let document) = encoded else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [],
                debugDescription:
                    "\(Value.self) encodes as \(encoded.typeName), not as a document (a struct, class or dictionary)"))
        }
        return document
    }

    /// The BSON value `value` encodes as, whatever its type.
    /// - Throws: `EncodingError.invalidValue` when a value cannot be encoded, naming its coding
    ///   path, or when `value` encodes nothing at all.
    /// - Complexity: O(size of the value).
    public func encodeValue<Value: Encodable>(_ value: Value) throws -> BSON {
        let node = BSONEncodingNode()
        let encoder = BSONNodeEncoder(node: node, codingPath: [], userInfo: userInfo)
        try encoder.encodeSingle(value)
        guard !node.isEmpty else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: [], debugDescription: "\(Value.self) encodes no value"))
        }
        var codingPath: [any CodingKey] = []
        return try node.bson(at: &codingPath)
    }
}
