import Foundation
@testable import BSON

/// Payload-like types for the encoder and decoder tests: every mapped type, nesting,
/// optionals, enums and a class hierarchy.
struct Everything: Codable, Equatable {
    var bool = true
    var int = 7
    var int8: Int8 = -8
    var int16: Int16 = 16
    var int32: Int32 = -32
    var int64: Int64 = 1 << 40
    var uint: UInt = 5
    var uint8: UInt8 = 255
    var uint16: UInt16 = 65_535
    var uint32: UInt32 = .max
    var uint64: UInt64 = 64
    var double = 1.5
    var float: Float = 0.25
    var string = "héllo"
    var date = Date(millisecondsSince1970: 1_774_746_000_123)
    var id = ObjectId("0123456789abcdef01234567")!
    var data = Data([1, 2, 3])
    var decimal = Decimal128("12.50")!
    var uuid = UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!
    var url = URL(string: "https://example.com/a?b=c")!
    var raw: BSON = .regularExpression(pattern: "^a", options: "i")
    var document: BSONDocument = ["t": .timestamp(t: 1, i: 2), "k": .minKey]
    var optional: Int? = nil
    var inner = Inner(name: "a", count: 1)
    var items = [Inner(name: "b", count: 2), Inner(name: "c", count: nil)]
    var map: [String: Int] = ["x": 1]

    /// The document `Everything()` encodes as.
    static let expected: BSONDocument = [
        "bool": true, "int": .int32(7), "int8": .int32(-8), "int16": .int32(16), "int32": .int32(-32),
        "int64": .int64(1 << 40), "uint": .int32(5), "uint8": .int32(255), "uint16": .int32(65_535),
        "uint32": .int64(Int64(UInt32.max)), "uint64": .int32(64), "double": .double(1.5), "float": .double(0.25),
        "string": "héllo", "date": .date(Date(millisecondsSince1970: 1_774_746_000_123)),
        "id": .objectId(ObjectId("0123456789abcdef01234567")!), "data": .binary(subtype: 0, bytes: [1, 2, 3]),
        "decimal": .decimal128(Decimal128("12.50")!),
        "uuid": .binary(subtype: 4, bytes: [0xE6, 0x21, 0xE1, 0xF8, 0xC3, 0x6C, 0x49, 0x5A,
                                            0x93, 0xFC, 0x0C, 0x24, 0x7A, 0x3E, 0x6E, 0x5F]),
        "url": "https://example.com/a?b=c", "raw": .regularExpression(pattern: "^a", options: "i"),
        "document": ["t": .timestamp(t: 1, i: 2), "k": .minKey],
        "inner": ["name": "a", "count": 1],
        "items": [["name": "b", "count": 2], ["name": "c"]],
        "map": ["x": 1],
    ]
}

struct Inner: Codable, Equatable {
    var name: String
    var count: Int?
}

enum Color: String, Codable, Equatable {
    case red, green
}

enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case square(Int)
    case empty
}

/// A superclass and a subclass that encodes it under `super`, as `superEncoder()` does.
class Animal: Codable {
    var name: String

    init(name: String) { self.name = name }
}

final class Dog: Animal, Equatable {
    var good: Bool

    init(name: String, good: Bool) {
        self.good = good
        super.init(name: name)
    }

    private enum CodingKeys: String, CodingKey { case good }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        good = try container.decode(Bool.self, forKey: .good)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(good, forKey: .good)
        try super.encode(to: container.superEncoder())
    }

    static func == (lhs: Dog, rhs: Dog) -> Bool { lhs.name == rhs.name && lhs.good == rhs.good }
}

/// A point written by hand as `{"at": {"x": .., "y": ..}, "tags": [..]}` through nested
/// containers.
struct Point: Codable, Equatable {
    var x: Int
    var y: Int
    var tags: [String]

    private enum CodingKeys: String, CodingKey { case at, tags }
    private enum AtKeys: String, CodingKey { case x, y }

    init(x: Int, y: Int, tags: [String]) {
        self.x = x
        self.y = y
        self.tags = tags
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let at = try container.nestedContainer(keyedBy: AtKeys.self, forKey: .at)
        x = try at.decode(Int.self, forKey: .x)
        y = try at.decode(Int.self, forKey: .y)
        var tags = try container.nestedUnkeyedContainer(forKey: .tags)
        self.tags = []
        while !tags.isAtEnd { self.tags.append(try tags.decode(String.self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var at = container.nestedContainer(keyedBy: AtKeys.self, forKey: .at)
        try at.encode(x, forKey: .x)
        try at.encode(y, forKey: .y)
        var tags = container.nestedUnkeyedContainer(forKey: .tags)
        for tag in self.tags { try tags.encode(tag) }
    }
}

/// A pair written as an unkeyed container `[first, [second...], {"n": count}]`, with nested
/// containers of each kind.
struct Row: Codable, Equatable {
    var first: String
    var second: [Int]
    var count: Int

    private enum Keys: String, CodingKey { case n }

    init(first: String, second: [Int], count: Int) {
        self.first = first
        self.second = second
        self.count = count
    }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        first = try container.decode(String.self)
        var second = try container.nestedUnkeyedContainer()
        self.second = []
        while !second.isAtEnd { self.second.append(try second.decode(Int.self)) }
        count = try container.nestedContainer(keyedBy: Keys.self).decode(Int.self, forKey: .n)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(first)
        var second = container.nestedUnkeyedContainer()
        for number in self.second { try second.encode(number) }
        var keyed = container.nestedContainer(keyedBy: Keys.self)
        try keyed.encode(count, forKey: .n)
    }
}

/// `{"value": ...}` for any value, to encode one at a known field.
struct Box<Value> {
    var value: Value
}

extension Box: Encodable where Value: Encodable {}
extension Box: Decodable where Value: Decodable {}
extension Box: Equatable where Value: Equatable {}

extension CodingUserInfoKey {
    static let testFlag = CodingUserInfoKey(rawValue: "testFlag")!
}

/// Writes `encoder.userInfo[.testFlag]` into its field, or reads it from the decoder.
struct UserInfoProbe: Codable, Equatable {
    var flag: String

    init(flag: String) { self.flag = flag }

    init(from decoder: any Decoder) throws { flag = decoder.userInfo[.testFlag] as? String ?? "none" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(encoder.userInfo[.testFlag] as? String ?? "none")
    }
}
