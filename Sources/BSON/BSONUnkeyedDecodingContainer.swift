/// The unkeyed container of ``BSONValueDecoder``: reads the elements of an array in order.
/// An element that fails to decode is not consumed, as Foundation's decoders behave.
struct BSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: BSONValueDecoder
    let elements: [BSON]
    private(set) var currentIndex = 0

    init(decoder: BSONValueDecoder, elements: [BSON]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    /// The key of the current element, for its coding path.
    private var currentKey: BSONCodingKey { BSONCodingKey(intValue: currentIndex) }

    /// The current element, which must exist; the caller moves past it once it is decoded.
    private func current(_ type: Any.Type, expected: String? = nil) throws -> BSON {
        guard !isAtEnd else { throw BSONDecodingProblem.endOfArray(type, expected: expected, at: codingPath + [currentKey]) }
        return elements[currentIndex]
    }

    /// The current element decoded with `read`, given its value and key; `advance` then moves
    /// past it.
    private func element<Value>(_ type: Value.Type, _ read: (BSON, BSONCodingKey) throws -> Value) throws -> Value {
        try read(current(type), currentKey)
    }

    private mutating func advance<Value>(_ decoded: Value) -> Value {
        currentIndex += 1
        return decoded
    }

    /// The coding path of the element at `key`, for an error.
    private func path(_ key: BSONCodingKey) -> () -> [any CodingKey] { { codingPath + [key] } }

    mutating func decodeNil() throws -> Bool {
        guard try current(Any?.self, expected: "a value").isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        try advance(element(type) { try BSONValueDecoder.bool($0, at: path($1)) })
    }

    mutating func decode(_ type: String.Type) throws -> String {
        try advance(element(type) { try BSONValueDecoder.string($0, at: path($1)) })
    }


    mutating func decode(_ type: Double.Type) throws -> Double { try floatingPoint(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try floatingPoint(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try integer(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try integer(type) }

    private mutating func integer<Number: FixedWidthInteger>(_ type: Number.Type) throws -> Number {
        try advance(element(type) { try BSONValueDecoder.integer($0, as: type, at: path($1)) })
    }

    private mutating func floatingPoint<Number: BinaryFloatingPoint & LosslessStringConvertible>(
        _ type: Number.Type
    ) throws -> Number {
        try advance(element(type) { try BSONValueDecoder.floatingPoint($0, as: type, at: path($1)) })
    }

    mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        try advance(element(type) { try decoder.child($0, at: $1).decode(type) })
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try advance(element(KeyedDecodingContainer<NestedKey>.self) {
            try decoder.child($0, at: $1).container(keyedBy: type)
        })
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try advance(element((any UnkeyedDecodingContainer).self) {
            try decoder.child($0, at: $1).unkeyedContainer()
        })
    }

    mutating func superDecoder() throws -> any Decoder {
        try advance(element((any Decoder).self) { decoder.child($0, at: $1) })
    }
}
