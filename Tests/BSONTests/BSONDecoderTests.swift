import Foundation
import Testing
@testable import BSON

/// ``BSONDecoder``: each Swift type's BSON mapping, leniency on numbers, containers, and the
/// errors it throws.
@Suite("BSON decoder")
struct BSONDecoderTests {
    let decoder = BSONDecoder()

    /// The value of `{"value": bson}` decoded as a `Value`.
    func decode<Value: Decodable>(_ type: Value.Type, _ bson: BSON) throws -> Value {
        try decoder.decode(Box<Value>.self, from: ["value": bson]).value
    }

    @Test func everyMappedTypeDecodesFromItsBSONType() throws {
        #expect(try decoder.decode(Everything.self, from: Everything.expected) == Everything())
    }

    @Test func integersReadInt32Int64AndWholeDoubles() throws {
        #expect(try decode(Int.self, .int32(-4)) == -4)
        #expect(try decode(Int.self, .int64(1 << 40)) == 1 << 40)
        #expect(try decode(Int.self, .double(3)) == 3)
        #expect(try decode(Int.self, .double(-0.0)) == 0)
        #expect(try decode(UInt8.self, .double(255)) == 255)
        #expect(try decode(Int32.self, .int64(-7)) == -7)
        #expect(try decode(UInt64.self, .int64(.max)) == UInt64(Int64.max))
        #expect(try decode([Int16].self, [.int32(1), .int64(2), .double(3)]) == [1, 2, 3])
        #expect(try decode(Int128.self, .int64(.min)) == Int128(Int64.min))
        #expect(try decode(UInt128.self, .double(1e18)) == 1_000_000_000_000_000_000)
    }

    @Test func integersRefuseFractionsAndValuesOutOfRange() throws {
        let fraction = try #require(throws: DecodingError.self) { try decode(Int.self, .double(1.5)) }
        guard case .dataCorrupted(let context) = fraction else { Issue.record("\(fraction)"); return }
        #expect(context.debugDescription == "expected an integer, found a double that is not a whole number")
        #expect(context.codingPath.map(\.stringValue) == ["value"])

        let range = try #require(throws: DecodingError.self) { try decode(Int8.self, .int32(128)) }
        guard case .dataCorrupted(let rangeContext) = range else { Issue.record("\(range)"); return }
        #expect(rangeContext.debugDescription == "expected Int8, found int beyond its range")
        for value: BSON in [.int32(-1), .int64(-1), .double(-1)] {
            #expect(throws: DecodingError.self) { try decode(UInt.self, value) }
        }
        for value: BSON in [.double(.nan), .double(.infinity), .double(9.3e18), .int64(.max)] {
            #expect(throws: DecodingError.self) { try decode(Int32.self, value) }
        }
        #expect(throws: DecodingError.self) { try decode(Int.self, .double(9_223_372_036_854_775_808.0)) }
    }

    @Test func integersRefuseOtherTypesAsTypeMismatches() throws {
        let error = try #require(throws: DecodingError.self) { try decode(Int.self, "12") }
        guard case .typeMismatch(let type, let context) = error else { Issue.record("\(error)"); return }
        #expect(ObjectIdentifier(type) == ObjectIdentifier(Int.self))
        #expect(context.debugDescription == "expected an integer, found string")
        for value: BSON in [true, .decimal128(Decimal128("1")!), .date(Date()), [1]] {
            #expect(throws: DecodingError.self) { try decode(Int.self, value) }
        }
    }

    @Test func floatingPointReadsAnyNumber() throws {
        #expect(try decode(Double.self, .int32(2)) == 2)
        #expect(try decode(Double.self, .int64(1 << 53 + 1)) == Double(1 << 53))
        #expect(try decode(Double.self, .double(0.1)) == 0.1)
        #expect(try decode(Double.self, .decimal128(Decimal128("1.25E+3")!)) == 1250)
        #expect(try decode(Double.self, .decimal128(Decimal128("-Infinity")!)) == -.infinity)
        #expect(try decode(Double.self, .decimal128(Decimal128("NaN")!)).isNaN)
        #expect(try decode(Float.self, .double(0.1)) == Float(0.1))
        #expect(try decode(Float.self, .double(.infinity)) == .infinity)
        #expect(throws: DecodingError.self) { try decode(Float.self, .double(1e39)) }
        #expect(throws: DecodingError.self) { try decode(Double.self, .decimal128(Decimal128("1E+400")!)) }
        #expect(throws: DecodingError.self) { try decode(Double.self, "1.5") }
    }

    @Test func stringsReadSymbolsAndBooleansOnlyBooleans() throws {
        #expect(try decode(String.self, .symbol("s")) == "s")
        #expect(throws: DecodingError.self) { try decode(Bool.self, .int32(1)) }
        #expect(throws: DecodingError.self) { try decode(String.self, .int32(1)) }
    }

    @Test func missingAndNullOptionalsDecodeAsNil() throws {
        #expect(try decoder.decode(Inner.self, from: ["name": "a"]) == Inner(name: "a", count: nil))
        #expect(try decoder.decode(Inner.self, from: ["name": "a", "count": .null]) == Inner(name: "a", count: nil))
        // Through `decode(Int?.self, forKey:)` too, not only `decodeIfPresent`.
        struct Explicit: Decodable {
            var value: Int?
            init(from decoder: any Decoder) throws {
                value = try decoder.container(keyedBy: BSONCodingKey.self).decode(Int?.self, forKey: BSONCodingKey(stringValue: "v"))
            }
        }
        #expect(try decoder.decode(Explicit.self, from: [:]).value == nil)
        #expect(try decoder.decode(Explicit.self, from: ["v": .null]).value == nil)
        #expect(try decoder.decode(Explicit.self, from: ["v": 4]).value == 4)
        #expect(try decode([Int?].self, [1, .null]) == [1, nil])
    }

    @Test func aMissingRequiredFieldIsKeyNotFoundAndNullIsValueNotFound() throws {
        let missing = try #require(throws: DecodingError.self) { try decoder.decode(Inner.self, from: ["count": 1]) }
        guard case .keyNotFound(let key, let context) = missing else { Issue.record("\(missing)"); return }
        #expect(key.stringValue == "name")
        #expect(context.codingPath.isEmpty)

        let null = try #require(throws: DecodingError.self) { try decoder.decode(Inner.self, from: ["name": .null]) }
        guard case .valueNotFound(_, let nullContext) = null else { Issue.record("\(null)"); return }
        #expect(nullContext.debugDescription == "expected a string, found null")
        #expect(throws: DecodingError.self) { try decoder.decode(Box<BSON>.self, from: [:]) }
    }

    @Test func bsonTypesDecodeAsThemselvesAndOnlyFromThemselves() throws {
        let id = ObjectId()
        #expect(try decode(ObjectId.self, .objectId(id)) == id)
        #expect(try decode(BSON.self, .minKey) == .minKey)
        #expect(try decode(BSONDocument.self, ["a": .undefined]) == ["a": .undefined])
        #expect(try decode(Date.self, .date(Date(millisecondsSince1970: -5))) == Date(millisecondsSince1970: -5))
        #expect(try decode(Data.self, .binary(subtype: 0x80, bytes: [7])) == Data([7]))
        #expect(throws: DecodingError.self) { try decode(ObjectId.self, .string(id.description)) }
        #expect(throws: DecodingError.self) { try decode(Date.self, .int64(0)) }
        #expect(throws: DecodingError.self) { try decode(Decimal128.self, .double(1)) }
        #expect(throws: DecodingError.self) { try decode(BSONDocument.self, [1]) }
        #expect(throws: DecodingError.self) { try decode(Data.self, "AQID") }
    }

    @Test func uuidsReadBinarySubtypeFourOrThreeOrAString() throws {
        let uuid = UUID()
        let bytes = withUnsafeBytes(of: uuid.uuid) { Array($0) }
        #expect(try decode(UUID.self, .binary(subtype: 4, bytes: bytes)) == uuid)
        #expect(try decode(UUID.self, .binary(subtype: 3, bytes: bytes)) == uuid)
        #expect(try decode(UUID.self, .string(uuid.uuidString.lowercased())) == uuid)
        #expect(throws: DecodingError.self) { try decode(UUID.self, .binary(subtype: 4, bytes: [1])) }
        #expect(throws: DecodingError.self) { try decode(UUID.self, .binary(subtype: 0, bytes: bytes)) }
        #expect(throws: DecodingError.self) { try decode(UUID.self, "not-a-uuid") }
    }

    @Test func urlsReadStrings() throws {
        #expect(try decode(URL.self, "https://example.com/x") == URL(string: "https://example.com/x"))
        #expect(throws: DecodingError.self) { try decode(URL.self, .int32(1)) }
    }

    @Test func enumsDecodeFromTheirRawValueOrTheirCaseKey() throws {
        #expect(try decode(Color.self, "green") == .green)
        #expect(try decode(Shape.self, ["circle": ["radius": .int32(2)]]) == .circle(radius: 2))
        #expect(try decode(Shape.self, ["square": ["_0": .double(3)]]) == .square(3))
        #expect(try decode(Shape.self, ["empty": [:]]) == .empty)
        #expect(throws: DecodingError.self) { try decode(Color.self, "blue") }
        #expect(throws: DecodingError.self) { try decode(Shape.self, ["triangle": [:]]) }
    }

    @Test func aSubclassDecodesItsSuperclassFromSuper() throws {
        #expect(try decoder.decode(Dog.self, from: ["good": true, "super": ["name": "Rex"]]) == Dog(name: "Rex", good: true))
        // A missing `super` gives the superclass a null to decode from, as Foundation's decoders do.
        #expect(throws: DecodingError.self) { try decoder.decode(Dog.self, from: ["good": true]) }
    }

    @Test func nestedContainersReadNestedDocumentsAndArrays() throws {
        #expect(try decoder.decode(Point.self, from: ["at": ["x": 1, "y": .double(2)], "tags": ["a"]]) == Point(x: 1, y: 2, tags: ["a"]))
        #expect(try decoder.decodeValue(Row.self, from: ["f", [1, 2], ["n": 3]]) == Row(first: "f", second: [1, 2], count: 3))
        #expect(throws: DecodingError.self) { try decoder.decode(Point.self, from: ["at": [1, 2], "tags": []]) }
        #expect(throws: DecodingError.self) { try decoder.decodeValue(Row.self, from: ["f", [1, 2]]) }
    }

    @Test func anUnkeyedContainerMovesOnlyPastWhatItDecodedAndStopsAtTheEnd() throws {
        struct Probe: Decodable {
            var log: [String] = []
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                log.append("count \(container.count!)")
                if (try? container.decode(Int.self)) == nil { log.append("not an int at \(container.currentIndex)") }
                log.append(try container.decode(String.self))
                log.append("nil \(try container.decodeNil())")
                log.append("end \(container.isAtEnd)")
                for read in [{ _ = try $0.decode(Int.self) }, { _ = try $0.decodeNil() }] as [(inout any UnkeyedDecodingContainer) throws -> Void] {
                    do { try read(&container) } catch let DecodingError.valueNotFound(_, context) {
                        log.append(context.debugDescription + " at " + context.codingPath.map(\.stringValue).joined(separator: "/"))
                    }
                }
            }
        }
        let probe = try decoder.decodeValue(Probe.self, from: ["s", .null])
        #expect(probe.log == ["count 2", "not an int at 0", "s", "nil true", "end true",
                              "expected Int, found the end of the array at Index 2",
                              "expected a value, found the end of the array at Index 2"])
    }

    @Test func keyedContainersListTheirKeysAndTellNullFromMissing() throws {
        struct Probe: Decodable {
            var keys: [String]
            var nulls: [Bool]
            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: BSONCodingKey.self)
                keys = container.allKeys.map(\.stringValue)
                nulls = try container.allKeys.map { try container.decodeNil(forKey: $0) }
                #expect(!container.contains(BSONCodingKey(stringValue: "missing")))
                #expect(throws: DecodingError.self) { try container.decodeNil(forKey: BSONCodingKey(stringValue: "missing")) }
            }
        }
        let probe = try decoder.decode(Probe.self, from: ["b": .null, "a": 1])
        #expect(probe.keys == ["b", "a"])
        #expect(probe.nulls == [true, false])
    }

    @Test func largeDocumentsAndDictionariesDecodeByKey() throws {
        let keys = (0..<2_000).map { "k\($0)" }
        let document = BSONDocument(keys.enumerated().map { ($0.element, BSON($0.offset)) })
        let dictionary = try decoder.decode([String: Int].self, from: document)
        #expect(dictionary.count == 2_000)
        #expect(dictionary["k1999"] == 1_999)
        #expect(try decoder.decode([Int: String].self, from: ["1": "one", "2": "two"]) == [1: "one", 2: "two"])
    }

    @Test func userInfoReachesEveryInitFrom() throws {
        var decoder = BSONDecoder()
        decoder.userInfo[.testFlag] = "on"
        #expect(try decoder.decode(Box<[UserInfoProbe]>.self, from: ["value": [.null]]).value == [UserInfoProbe(flag: "on")])
    }

    @Test func theTopLevelMayBeAnyValue() throws {
        #expect(try decoder.decodeValue(Int.self, from: .double(2)) == 2)
        #expect(try decoder.decodeValue([String].self, from: ["a"]) == ["a"])
        #expect(try decoder.decodeValue(Int?.self, from: .null) == nil)
        let error = try #require(throws: DecodingError.self) { try decoder.decodeValue(Inner.self, from: [1]) }
        guard case .typeMismatch(_, let context) = error else { Issue.record("\(error)"); return }
        #expect(context.debugDescription == "expected a document, found array")
    }
}
