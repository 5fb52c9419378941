import CMongoC
import Foundation
import Testing
@testable import BSON
@testable import QueueMongo

@Suite("BSON codec")
struct BSONCodecTests {
    static let sample: BSONDocument = [
        "double": 1.5, "string": "héllo\u{0}x", "document": ["nested": ["deep": true]],
        "array": [1, "two", nil, ["three": 3]], "binary": .binary(subtype: 0, bytes: [0, 1, 255]),
        "objectId": .objectId(ObjectId("0123456789abcdef01234567")!), "bool": false,
        "date": .date(Date(timeIntervalSince1970: -1.5)), "null": nil, "int32": .int32(-7),
        "int64": .int64(Int64.max), "decimal128": .decimal128(Decimal128("-1.50E-8")!),
        "regex": .regularExpression(pattern: "^a.*", options: "i"), "timestamp": .timestamp(t: 1_700_000_000, i: 7),
        "minKey": .minKey, "maxKey": .maxKey, "code": .javascript("function () {}"),
        "codeWithScope": .javascriptWithScope(code: "x + 1", scope: ["x": 1]), "symbol": .symbol("s"),
        "dbPointer": .dbPointer(ref: "jobs", id: ObjectId("0123456789abcdef01234567")!), "undefined": .undefined,
    ]

    @Test func everySupportedTypeRoundTripsThroughBytes() throws {
        let bytes = BSONWriter.encode(Self.sample)
        #expect(try BSONReader.decode(bytes) == Self.sample)
    }

    @Test func libbsonReadsWhatTheWriterWrites() throws {
        let copy = try Self.sample.withBSON { try BSONDocument(copying: $0) }
        #expect(copy == Self.sample)
    }

    @Test func randomDocumentsOfEveryTypeRoundTripByteForByte() throws {
        let seed: UInt64 = 0xB5011
        var random = RandomBSON(seed: seed)
        for round in 0..<2_000 {
            let document = random.document()
            let bytes = BSONWriter.encode(document)
            let decoded = try BSONReader.decode(bytes)
            guard BSONWriter.encode(decoded) == bytes else {
                Issue.record("seed \(seed), round \(round): \(document) changed on the way back")
                return
            }
            #expect(BSONDocument.encodedSize(document) == bytes.count)
            // libbson checks the structure and UTF-8 of every element the writer wrote.
            let valid = document.withBSON { bson in
                var offset = 0
                return bson_validate(bson, bson_validate_flags_t(BSON_VALIDATE_UTF8.rawValue | BSON_VALIDATE_UTF8_ALLOW_NULL.rawValue), &offset)
            }
            #expect(valid, "seed \(seed), round \(round): \(document)")
        }
    }

    @Test func anObjectIdIsWrittenAsItsTwentyFourHexDigitsAndParsedBack() throws {
        for hex in ["0123456789abcdef01234567", "fedcba9876543210fedcba98", "000000000000000000000000", "ffffffffffffffffffffffff"] {
            #expect(ObjectId(hex)?.description == hex)
        }
        let id = ObjectId()
        let fromBytes = try #require(ObjectId(bytes: id.bytes))
        #expect(fromBytes.description == id.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(ObjectId(id.description) == id)
    }

    @Test func extendedJSONParsesObjectsAndRejectsOtherValues() throws {
        let document = try ExtendedJSON.parseDocument(#"{"a": 1, "b": {"$oid": "0123456789abcdef01234567"}, "c": [true]}"#)
        #expect(document == ["a": .int32(1), "b": .objectId(ObjectId("0123456789abcdef01234567")!), "c": [true]])
        for bad in ["[1, 2]", "42", "", "{\"a\": ", "not json"] {
            #expect(throws: BSONError.self, "\(bad)") { try ExtendedJSON.parseDocument(bad) }
        }
    }

    @Test func formattedJSONParsesBackToTheSameDocument() throws {
        var sample = Self.sample
        sample["string"] = "quote \" backslash \\ newline \n"
        #expect(try ExtendedJSON.parseDocument(sample.description) == sample)
    }

    @Test func truncatedOrCorruptBytesGiveErrorsNotCrashes() {
        let bytes = BSONWriter.encode(Self.sample)
        var generator = SystemRandomNumberGenerator()
        for cut in stride(from: 0, to: bytes.count, by: 3) {
            #expect(throws: BSONError.self) { try BSONReader.decode(Array(bytes[..<cut])) }
        }
        for _ in 0..<2_000 {
            var corrupt = bytes
            corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? BSONReader.decode(corrupt)  // any outcome but a crash is fine
        }
    }

}
