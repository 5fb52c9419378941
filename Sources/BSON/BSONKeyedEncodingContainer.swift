/// The keyed container of ``BSONNodeEncoder``: sets the fields of a document node.
struct BSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: BSONNodeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: BSON, _ key: Key) { encoder.node.set(.value(value), forKey: key.stringValue) }

    private func integer(_ value: some BinaryInteger, _ key: Key) throws {
        set(try BSONNodeEncoder.integer(value) { codingPath + [key] }, key)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.double(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.double(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(BSON(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int32(Int32(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int32(Int32(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int32(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int32(Int32(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int32(Int32(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try integer(value, key) }

    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        encoder.node.set(try encoder.slot(for: value, at: key), forKey: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        child(at: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        child(at: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { child(at: BSONCodingKey.super) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { child(at: key) }

    /// An encoder for a new node stored at `key`.
    private func child(at key: any CodingKey) -> BSONNodeEncoder {
        let child = encoder.child(at: key)
        encoder.node.set(.node(child.node), forKey: key.stringValue)
        return child
    }
}
