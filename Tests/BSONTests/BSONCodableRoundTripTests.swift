import Foundation
import Testing
@testable import BSON

/// ``BSONEncoder`` then ``BSONDecoder``, through the wire format: what a payload goes through
/// between `schedule` and the handler.
@Suite("BSON Codable round trip")
struct BSONCodableRoundTripTests {
    /// `value` encoded, written, read and decoded.
    static func roundTrip<Value: Codable>(_ value: Value) throws -> Value {
        let bytes = BSONWriter.encode(try BSONEncoder().encode(value))
        return try BSONDecoder().decode(Value.self, from: BSONReader.decode(bytes))
    }

    @Test func nestedStructsWithEveryMappedTypeComeBackEqual() throws {
        var everything = Everything()
        everything.optional = 3
        everything.map = ["a.b": 1, "$c": 2, "": 3]
        #expect(try Self.roundTrip(everything) == everything)
        #expect(try Self.roundTrip(Everything()) == Everything())
    }

    @Test func optionalsComeBackNilWhetherLeftOutOrNull() throws {
        let items = [Inner(name: "a", count: nil), Inner(name: "b", count: 0)]
        #expect(try Self.roundTrip(Box(value: items)) == Box(value: items))
        #expect(try BSONEncoder().encode(Box(value: items)) == ["value": [["name": "a"], ["name": "b", "count": 0]]])
        #expect(try Self.roundTrip(Box(value: [nil, 1, nil] as [Int?])).value == [nil, 1, nil])
    }

    @Test func enumsClassesAndHandWrittenContainersComeBackEqual() throws {
        #expect(try Self.roundTrip(Box(value: [Shape.circle(radius: 1.5), .square(-2), .empty])).value == [.circle(radius: 1.5), .square(-2), .empty])
        #expect(try Self.roundTrip(Box(value: [Color.red, .green])).value == [.red, .green])
        #expect(try Self.roundTrip(Dog(name: "Rex", good: false)) == Dog(name: "Rex", good: false))
        #expect(try Self.roundTrip(Point(x: -1, y: Int.max, tags: ["t", ""])) == Point(x: -1, y: Int.max, tags: ["t", ""]))
        #expect(try Self.roundTrip(Box(value: Row(first: "f", second: [], count: 0))).value == Row(first: "f", second: [], count: 0))
    }

    @Test func dictionariesOfStructsAndNestedArraysComeBackEqual() throws {
        let value: [String: [[Inner]]] = ["x": [[Inner(name: "n", count: 1)], []], "y": []]
        #expect(try Self.roundTrip(value) == value)
        let byNumber: [Int: String] = [-1: "minus", 0: "zero", 1 << 40: "big"]
        #expect(try Self.roundTrip(byNumber) == byNumber)
    }

    @Test func rawDocumentsOfEveryTypeComeBackByteForByte() throws {
        var random = RandomBSON(seed: 0xC0DA)
        for _ in 0..<200 {
            let document = random.document()
            let back = try Self.roundTrip(Box(value: document)).value
            #expect(BSONWriter.encode(back) == BSONWriter.encode(document))
            let raw = try Self.roundTrip(Box(value: BSON.document(document))).value
            #expect(BSONWriter.encode(["v": raw]) == BSONWriter.encode(["v": .document(document)]))
        }
    }

    @Test func bsonValuesGoThroughOtherCodersAsPlainValues() throws {
        let id = ObjectId("0123456789abcdef01234567")!
        let document: BSONDocument = [
            "s": "x", "i": .int32(1), "l": .int64(1 << 40), "d": .double(1.5), "b": true, "n": .null,
            "a": [1, "two"], "o": ["k": "v"], "id": .objectId(id), "dec": .decimal128(Decimal128("1.50")!),
        ]
        let json = try JSONEncoder().encode(document)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"id\":\"0123456789abcdef01234567\""))
        #expect(text.contains("\"dec\":\"1.50\""))
        let back = try JSONDecoder().decode(BSONDocument.self, from: json)
        #expect(back["l"] == .int64(1 << 40))
        #expect(back["a"] == [1, "two"])
        #expect(back["o"] == ["k": "v"])
        #expect(back["id"] == .string(id.description))
        #expect(try JSONDecoder().decode(ObjectId.self, from: Data("\"\(id)\"".utf8)) == id)
        #expect(try JSONDecoder().decode(Decimal128.self, from: Data("\"1.50\"".utf8)) == Decimal128("1.50"))
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(BSON.timestamp(t: 1, i: 1)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ObjectId.self, from: Data("\"xyz\"".utf8)) }
    }
}
