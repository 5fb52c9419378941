import Foundation
import Testing
@testable import BSON

/// ``BSONEncoder``: each Swift type's BSON mapping, containers, and what it refuses.
@Suite("BSON encoder")
struct BSONEncoderTests {
    let encoder = BSONEncoder()

    @Test func everyMappedTypeEncodesAsItsBSONTypeInDeclarationOrder() throws {
        let document = try encoder.encode(Everything())
        #expect(document == Everything.expected)
        #expect(document.keys == Everything.expected.keys)
    }

    @Test func integersAreInt32WhenTheyFitAndInt64Otherwise() throws {
        #expect(try encoder.encodeValue(Int(Int32.max)) == .int32(.max))
        #expect(try encoder.encodeValue(Int(Int32.max) + 1) == .int64(Int64(Int32.max) + 1))
        #expect(try encoder.encodeValue(Int64(-5)) == .int32(-5))
        #expect(try encoder.encodeValue(UInt64(Int64.max)) == .int64(.max))
        #expect(try encoder.encodeValue([UInt32.max, 1]) == [.int64(Int64(UInt32.max)), .int32(1)])
        #expect(try encoder.encodeValue(Int128(-3)) == .int32(-3))
    }

    @Test func unsignedValuesBeyondInt64AreRefusedWithTheirPath() throws {
        let error = try #require(throws: EncodingError.self) { try encoder.encode(Box(value: [UInt64(1), .max])) }
        guard case .invalidValue(_, let context) = error else { Issue.record("\(error)"); return }
        #expect(context.codingPath.map(\.stringValue) == ["value", "Index 1"])
        #expect(context.debugDescription == "UInt64 beyond the range of long, BSON's widest integer")
        #expect(throws: EncodingError.self) { try encoder.encode(Box(value: UInt128(1) << 64)) }
        #expect(throws: EncodingError.self) { try encoder.encodeValue(UInt.max) }
    }

    @Test func nilOptionalsAreLeftOutAndEncodeNilWritesNull() throws {
        #expect(try encoder.encode(Inner(name: "a", count: nil)) == ["name": "a"])

        struct ExplicitNull: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: BSONCodingKey.self)
                try container.encodeNil(forKey: BSONCodingKey(stringValue: "a"))
                try container.encode(Int?.none, forKey: BSONCodingKey(stringValue: "b"))
            }
        }
        #expect(try encoder.encode(ExplicitNull()) == ["a": .null, "b": .null])
        #expect(try encoder.encodeValue([1, nil, 3] as [Int?]) == [1, .null, 3])
    }

    @Test func theTopLevelMustBeADocumentForEncodeAndMayBeAnythingForEncodeValue() throws {
        let error = try #require(throws: EncodingError.self) { try encoder.encode([1, 2]) }
        guard case .invalidValue(_, let context) = error else { Issue.record("\(error)"); return }
        #expect(context.debugDescription == "Array<Int> encodes as array, not as a document (a struct, class or dictionary)")
        #expect(throws: EncodingError.self) { try encoder.encode("text") }
        #expect(throws: EncodingError.self) { try encoder.encode(Int?.none) }
        #expect(try encoder.encodeValue("text") == "text")
        #expect(try encoder.encodeValue(Color.green) == "green")
        #expect(try encoder.encode(Inner?.some(Inner(name: "a"))) == ["name": "a"])
    }

    @Test func aValueThatEncodesNothingIsRefusedAtTheTopAndAnEmptyDocumentInside() throws {
        struct Nothing: Encodable {
            func encode(to encoder: any Encoder) throws {}
        }
        #expect(throws: EncodingError.self) { try encoder.encodeValue(Nothing()) }
        #expect(try encoder.encode(Box(value: [Nothing()])) == ["value": [[:]]])
    }

    @Test func dictionariesBecomeDocumentsWithTheirKeysAsTheyAre() throws {
        let keys = ["a.b", "$x", "", "é", "1"]
        let document = try encoder.encode(Dictionary(uniqueKeysWithValues: keys.map { ($0, true) }))
        #expect(Set(document.keys) == Set(keys))
        #expect(try encoder.encode([1: "one"]) == ["1": "one"])
    }

    @Test func keysHoldingNULAreRefusedWithTheirPath() throws {
        let error = try #require(throws: EncodingError.self) { try encoder.encode(Box(value: ["a\0b": 1])) }
        guard case .invalidValue(_, let context) = error else { Issue.record("\(error)"); return }
        #expect(context.codingPath.map(\.stringValue) == ["value", "a\0b"])
        #expect(context.debugDescription == "a key holds NUL, which BSON keys cannot")
    }

    @Test func bsonValuesAndDocumentsPassThroughUnchanged() throws {
        let values: [BSON] = [
            .timestamp(t: 5, i: 6), .minKey, .maxKey, .undefined, .javascript("f()"), .symbol("s"),
            .javascriptWithScope(code: "x", scope: ["x": 1]), .dbPointer(ref: "c", id: ObjectId()),
            .binary(subtype: 0x80, bytes: [9]), .int64(1), .double(.nan),
        ]
        let document = try encoder.encode(Box(value: values))
        #expect(BSONWriter.encode(document) == BSONWriter.encode(["value": .array(values)]))
        let raw: BSONDocument = ["a": .int64(1)]
        #expect(try encoder.encode(["raw": raw]) == ["raw": .document(raw)])
    }

    @Test func enumsEncodeTheirRawValueOrTheirCaseAsAKey() throws {
        #expect(try encoder.encode(Box(value: Color.red)) == ["value": "red"])
        #expect(try encoder.encode(Box(value: Shape.circle(radius: 2))) == ["value": ["circle": ["radius": 2.0]]])
        #expect(try encoder.encode(Box(value: Shape.square(3))) == ["value": ["square": ["_0": 3]]])
        #expect(try encoder.encode(Box(value: Shape.empty)) == ["value": ["empty": [:]]])
    }

    @Test func aSubclassEncodesItsSuperclassUnderSuper() throws {
        #expect(try encoder.encode(Dog(name: "Rex", good: true)) == ["good": true, "super": ["name": "Rex"]])
    }

    @Test func nestedContainersBuildNestedDocumentsAndArrays() throws {
        #expect(try encoder.encode(Point(x: 1, y: 2, tags: ["a"])) == ["at": ["x": 1, "y": 2], "tags": ["a"]])
        #expect(try encoder.encodeValue(Row(first: "f", second: [1, 2], count: 3)) == ["f", [1, 2], ["n": 3]])
    }

    @Test func anUnkeyedSuperEncoderAppendsAnElement() throws {
        struct Wrapper: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                try container.encode(1)
                try Inner(name: "i").encode(to: container.superEncoder())
                try container.encode(3)
            }
        }
        #expect(try encoder.encodeValue(Wrapper()) == [1, ["name": "i"], 3])
    }

    @Test func aKeyEncodedTwiceKeepsItsPlaceAndTakesTheLastValue() throws {
        struct Twice: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: BSONCodingKey.self)
                try container.encode(1, forKey: BSONCodingKey(stringValue: "a"))
                try container.encode(2, forKey: BSONCodingKey(stringValue: "b"))
                try container.encode("x", forKey: BSONCodingKey(stringValue: "a"))
            }
        }
        let document = try encoder.encode(Twice())
        #expect(document.keys == ["a", "b"])
        #expect(document == ["a": "x", "b": 2])
    }

    @Test func mixingContainersAtOnePathIsRefusedWithThatPath() throws {
        struct Mixed: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(1)
                _ = encoder.unkeyedContainer()
            }
        }
        let error = try #require(throws: EncodingError.self) { try encoder.encode(Box(value: [Mixed()])) }
        guard case .invalidValue(_, let context) = error else { Issue.record("\(error)"); return }
        #expect(context.codingPath.map(\.stringValue) == ["value", "Index 0"])
    }

    @Test func userInfoReachesEveryEncodeTo() throws {
        var encoder = BSONEncoder()
        encoder.userInfo[.testFlag] = "on"
        #expect(try encoder.encode(Box(value: [UserInfoProbe(flag: "")])) == ["value": ["on"]])
    }
}
