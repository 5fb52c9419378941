import Foundation

/// Decodes `Decodable` values from BSON: how a typed job's handler gets its payload back.
///
/// It reads what ``BSONEncoder`` writes, and is lenient where MongoDB data varies by writer:
/// - An integer reads from int32, int64, or a double holding a whole number within the type's
///   range (the shell and JavaScript drivers write every number as a double); a fraction or a
///   value out of range is refused (`dataCorrupted`), never rounded or wrapped.
/// - `Double` and `Float` read from any number (int32, int64, double, decimal), rounding to
///   the nearest; a `Float` refuses a finite number beyond its range.
/// - `String` reads strings and symbols; `Bool` only booleans.
/// - `Date` reads BSON dates, ``ObjectId``, ``Decimal128``, ``BSON`` and ``BSONDocument`` their
///   own types, `Data` binary of any subtype (its bytes as stored), `UUID` 16 bytes of binary
///   subtype 4 or 3 or a string in the usual hyphenated form, and `URL` a string.
/// - An optional reads a missing field or null as nil, whether it is decoded with
///   `decodeIfPresent` (as synthesized conformances do) or with `decode`.
///
/// Errors are `DecodingError`s with the coding path of the offending value and a description
/// naming BSON types, never values (`expected an integer, found string`);
/// ``Swift/DecodingError/fieldDescription(under:)`` renders one as a single line. Decoding
/// recurses once per level of the value, as the type's own `init(from:)` does.
public struct BSONDecoder: Sendable {
    /// Values handed to every `init(from:)` as `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// A decoder with no `userInfo`.
    public init() {}

    /// The value of type `type` that `document` holds.
    /// - Throws: `DecodingError` naming the coding path of the first value that does not fit.
    /// - Complexity: O(size of the document) for types that read each field once.
    public func decode<Value: Decodable>(_ type: Value.Type, from document: BSONDocument) throws -> Value {
        try decodeValue(type, from: .document(document))
    }

    /// The value of type `type` that `value` holds, whatever its BSON type (a payload is a
    /// document; this is for a single field, an array, or a value held as ``BSON``).
    /// - Throws: `DecodingError` naming the coding path of the first value that does not fit.
    /// - Complexity: O(size of the value) for types that read each field once.
    public func decodeValue<Value: Decodable>(_ type: Value.Type, from value: BSON) throws -> Value {
        try BSONValueDecoder(value: value, codingPath: [], userInfo: userInfo).decode(type)
    }
}
