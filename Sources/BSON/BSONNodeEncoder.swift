import Foundation

/// The `Encoder` that ``BSONEncoder`` hands to `encode(to:)`: it writes one value into one
/// ``BSONEncodingNode``, and is its own single-value container.
final class BSONNodeEncoder: Encoder, SingleValueEncodingContainer {
    let node: BSONEncodingNode
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    init(node: BSONEncodingNode, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.node = node
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.makeDocument()
        return KeyedEncodingContainer(BSONKeyedEncodingContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.makeArray()
        return BSONUnkeyedEncodingContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    /// An encoder for a new node at `key` below this one, for a nested container or a super
    /// encoder placed in this one.
    func child(at key: any CodingKey) -> BSONNodeEncoder {
        BSONNodeEncoder(node: BSONEncodingNode(), codingPath: codingPath + [key], userInfo: userInfo)
    }

    /// What `value`, at `key` below this encoder, is stored as: a finished value for the types
    /// with a BSON mapping of their own, a node filled in by `value.encode(to:)` otherwise.
    func slot<Value: Encodable>(for value: Value, at key: any CodingKey) throws -> BSONEncodingNode.Slot {
        if let bson = try Self.mapped(value, at: { self.codingPath + [key] }) { return .value(bson) }
        let encoder = child(at: key)
        try value.encode(to: encoder)
        return .node(encoder.node)
    }

    /// Encodes `value` into this encoder's own node.
    func encodeSingle<Value: Encodable>(_ value: Value) throws {
        if !node.isEmpty { node.record("a single value was encoded where another value or a container was") }
        if let bson = try Self.mapped(value, at: { self.codingPath }) {
            node.setValue(bson)
        } else {
            try value.encode(to: self)
        }
    }

    /// Stores `value` as it is when `encoder` is a ``BSONNodeEncoder``, for the `encode(to:)` of
    /// ``BSON`` and its kin when a type's own `encode(to:)` calls it directly; false otherwise.
    static func passedThrough(_ value: some Encodable, _ encoder: any Encoder) throws -> Bool {
        guard let encoder = encoder as? BSONNodeEncoder else { return false }
        try encoder.encodeSingle(value)
        return true
    }

    /// The BSON value of a type with a mapping of its own (see ``BSONEncoder``), nil for any
    /// other type. `codingPath` gives the path for an error.
    static func mapped<Value: Encodable>(_ value: Value, at codingPath: () -> [any CodingKey]) throws -> BSON? {
        switch value {
        case let value as String: .string(value)
        case let value as Int: BSON(value)
        case let value as Double: .double(value)
        case let value as Bool: .bool(value)
        case let value as BSON: value
        case let value as BSONDocument: .document(value)
        case let value as ObjectId: .objectId(value)
        case let value as Date: .date(value)
        case let value as Decimal128: .decimal128(value)
        case let value as Data: .binary(subtype: 0, bytes: Array(value))
        case let value as UUID: .binary(subtype: 4, bytes: withUnsafeBytes(of: value.uuid) { Array($0) })
        case let value as URL: .string(value.absoluteString)
        case let value as UInt64: try integer(value, at: codingPath)
        case let value as UInt: try integer(value, at: codingPath)
        default: nil
        }
    }

    /// int32 when `value` fits, int64 otherwise.
    /// - Throws: `EncodingError.invalidValue` beyond the int64 range.
    static func integer<Value: BinaryInteger>(_ value: Value, at codingPath: () -> [any CodingKey]) throws -> BSON {
        guard let number = Int64(exactly: value) else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: codingPath(), debugDescription: "\(Value.self) beyond the range of long, BSON's widest integer"))
        }
        return Int32(exactly: number).map { .int32($0) } ?? .int64(number)
    }

    // SingleValueEncodingContainer

    func encodeNil() throws { node.setValue(.null) }
    func encode(_ value: Bool) throws { node.setValue(.bool(value)) }
    func encode(_ value: String) throws { node.setValue(.string(value)) }
    func encode(_ value: Double) throws { node.setValue(.double(value)) }
    func encode(_ value: Float) throws { node.setValue(.double(Double(value))) }
    func encode(_ value: Int) throws { node.setValue(BSON(value)) }
    func encode(_ value: Int8) throws { node.setValue(.int32(Int32(value))) }
    func encode(_ value: Int16) throws { node.setValue(.int32(Int32(value))) }
    func encode(_ value: Int32) throws { node.setValue(.int32(value)) }
    func encode(_ value: Int64) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode(_ value: Int128) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode(_ value: UInt) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode(_ value: UInt8) throws { node.setValue(.int32(Int32(value))) }
    func encode(_ value: UInt16) throws { node.setValue(.int32(Int32(value))) }
    func encode(_ value: UInt32) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode(_ value: UInt64) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode(_ value: UInt128) throws { node.setValue(try Self.integer(value) { self.codingPath }) }
    func encode<Value: Encodable>(_ value: Value) throws { try encodeSingle(value) }
}

@available(*, unavailable)
extension BSONNodeEncoder: Sendable {}
