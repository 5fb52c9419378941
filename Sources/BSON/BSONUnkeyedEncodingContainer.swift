/// The unkeyed container of ``BSONNodeEncoder``: appends the elements of an array node.
struct BSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: BSONNodeEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { encoder.node.count }

    /// The key of the next element, for its coding path.
    private var nextKey: BSONCodingKey { BSONCodingKey(intValue: count) }

    private func append(_ value: BSON) { encoder.node.append(.value(value)) }

    private func integer(_ value: some BinaryInteger) throws {
        append(try BSONNodeEncoder.integer(value) { codingPath + [nextKey] })
    }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(.double(value)) }
    mutating func encode(_ value: Float) throws { append(.double(Double(value))) }
    mutating func encode(_ value: Int) throws { append(BSON(value)) }
    mutating func encode(_ value: Int8) throws { append(.int32(Int32(value))) }
    mutating func encode(_ value: Int16) throws { append(.int32(Int32(value))) }
    mutating func encode(_ value: Int32) throws { append(.int32(value)) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: Int128) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(value) }
    mutating func encode(_ value: UInt8) throws { append(.int32(Int32(value))) }
    mutating func encode(_ value: UInt16) throws { append(.int32(Int32(value))) }
    mutating func encode(_ value: UInt32) throws { try integer(value) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }
    mutating func encode(_ value: UInt128) throws { try integer(value) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        encoder.node.append(try encoder.slot(for: value, at: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        child().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { child().unkeyedContainer() }

    mutating func superEncoder() -> any Encoder { child() }

    /// An encoder for a new node appended as the next element.
    private func child() -> BSONNodeEncoder {
        let child = encoder.child(at: nextKey)
        encoder.node.append(.node(child.node))
        return child
    }
}
