/// The keyed container of ``BSONValueDecoder``: reads the fields of a document.
///
/// Fields are found by a linear search in documents of up to 16 fields, the size of most
/// payloads, and through a dictionary built once in larger ones, so that decoding a large
/// dictionary stays linear.
struct BSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: BSONValueDecoder
    let document: BSONDocument
    private let index: [String: BSON]?

    init(decoder: BSONValueDecoder, document: BSONDocument) {
        self.decoder = decoder
        self.document = document
        // Keys are unique in a document: a repeated key keeps its last value.
        index = document.count > 16 ? Dictionary(document.lazy.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }) : nil
    }

    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { document.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { value(key) != nil }

    private func value(_ key: Key) -> BSON? {
        if let index { return index[key.stringValue] }
        return document[key.stringValue]
    }

    /// The value of `key`, which must be present.
    private func require(_ key: Key) throws -> BSON {
        guard let value = value(key) else { throw BSONDecodingProblem.missing(key, at: codingPath) }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try require(key).isNull }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try BSONValueDecoder.bool(require(key)) { codingPath + [key] }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try BSONValueDecoder.string(require(key)) { codingPath + [key] }
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try floatingPoint(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try floatingPoint(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, key) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try integer(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try integer(type, key) }

    private func integer<Number: FixedWidthInteger>(_ type: Number.Type, _ key: Key) throws -> Number {
        try BSONValueDecoder.integer(require(key), as: type) { codingPath + [key] }
    }

    private func floatingPoint<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ type: Number.Type, _ key: Key
    ) throws -> Number {
        try BSONValueDecoder.floatingPoint(require(key), as: type) { codingPath + [key] }
    }

    /// The value of `key` as a `Value`; a missing field reads as nil when `Value` is optional.
    func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
        guard let value = value(key) else {
            if let optional = type as? any OptionalDecodable.Type { return optional.none as! Value }
            throw BSONDecodingProblem.missing(key, at: codingPath)
        }
        return try decoder.child(value, at: key).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(require(key), at: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(require(key), at: key).unkeyedContainer()
    }

    /// A decoder for the field `super`; null when it is missing, as Foundation's decoders do.
    func superDecoder() throws -> any Decoder {
        decoder.child(document["super"] ?? .null, at: BSONCodingKey.super)
    }

    /// A decoder for the field `key`; null when it is missing, as Foundation's decoders do.
    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.child(value(key) ?? .null, at: key)
    }
}

/// `Optional`, whatever it wraps: what lets a keyed container read a missing field as nil
/// from a generic `decode`.
protocol OptionalDecodable {
    static var none: Self { get }
}

extension Optional: OptionalDecodable {}
