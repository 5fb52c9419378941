import Foundation

/// The `Decoder` that ``BSONDecoder`` hands to `init(from:)`: it reads one BSON value, and is
/// its own single-value container.
struct BSONValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: BSON
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    init(value: BSON, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .document(let document) = value else {
            throw BSONDecodingProblem.mismatch(
                KeyedDecodingContainer<Key>.self, expected: "a document", found: value, at: codingPath)
        }
        return KeyedDecodingContainer(BSONKeyedDecodingContainer<Key>(decoder: self, document: document))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw BSONDecodingProblem.mismatch(
                (any UnkeyedDecodingContainer).self, expected: "an array", found: value, at: codingPath)
        }
        return BSONUnkeyedDecodingContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    /// A decoder for `value` at `key` below this one.
    func child(_ value: BSON, at key: any CodingKey) -> BSONValueDecoder {
        BSONValueDecoder(value: value, codingPath: codingPath + [key], userInfo: userInfo)
    }

    // SingleValueDecodingContainer

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try Self.bool(value) { codingPath } }
    func decode(_ type: String.Type) throws -> String { try Self.string(value) { codingPath } }
    func decode(_ type: Double.Type) throws -> Double { try Self.floatingPoint(value, as: type) { codingPath } }
    func decode(_ type: Float.Type) throws -> Float { try Self.floatingPoint(value, as: type) { codingPath } }
    func decode(_ type: Int.Type) throws -> Int { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: Int8.Type) throws -> Int8 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: Int16.Type) throws -> Int16 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: Int32.Type) throws -> Int32 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: Int64.Type) throws -> Int64 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: Int128.Type) throws -> Int128 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt.Type) throws -> UInt { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try Self.integer(value, as: type) { codingPath } }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try Self.integer(value, as: type) { codingPath } }

    /// `value` as a `Value`: the types with a BSON mapping of their own (see ``BSONDecoder``)
    /// directly, any other through its `init(from:)`.
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        if let mapped = try Self.mapped(value, as: type, at: { codingPath }) { return mapped }
        return try Value(from: self)
    }
}
