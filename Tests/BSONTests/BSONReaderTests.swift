import Foundation
import Testing
@testable import BSON

/// ``BSONReader``: every BSON type from handcrafted bytes, bounded nesting, partial reads.
@Suite("BSON reader")
struct BSONReaderTests {
    /// `{key: value}` where `type` and `payload` are the value's type byte and bytes.
    static func document(_ type: UInt8, _ payload: [UInt8], key: String = "v") -> [UInt8] {
        let body = [type] + Array(key.utf8) + [0] + payload + [0]
        return int32(body.count + 4) + body
    }

    static func int32(_ value: Int) -> [UInt8] { withUnsafeBytes(of: Int32(value).littleEndian) { Array($0) } }
    static func string(_ text: String) -> [UInt8] { int32(text.utf8.count + 1) + Array(text.utf8) + [0] }
    static let id = ObjectId("0123456789abcdef01234567")!

    @Test(arguments: [
        (UInt8(0x06), [UInt8](), BSON.undefined),
        (0x0B, Array("a.c\0imx\0".utf8), .regularExpression(pattern: "a.c", options: "imx")),
        (0x0C, string("db.coll") + id.bytes, .dbPointer(ref: "db.coll", id: id)),
        (0x0D, string("return 1"), .javascript("return 1")),
        (0x0E, string("sym"), .symbol("sym")),
        (0x0F, int32(4 + 9 + 12) + string("f(x)") + document(0x10, int32(7), key: "x"),
         .javascriptWithScope(code: "f(x)", scope: ["x": .int32(7)])),
        // The increment is stored first (low word), then the seconds.
        (0x11, [2, 0, 0, 0, 1, 0, 0, 0], .timestamp(t: 1, i: 2)),
        // 1.5: coefficient 15, exponent -1 (the BSON corpus's bytes).
        (0x13, [0x0F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3E, 0x30], .decimal128(Decimal128("1.5")!)),
        (0xFF, [], .minKey),
        (0x7F, [], .maxKey),
        (0x05, int32(3) + [0x80, 1, 2, 3], .binary(subtype: 0x80, bytes: [1, 2, 3])),
        (0x09, [0x18, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .date(Date(millisecondsSince1970: -1000))),
    ])
    func everyTypeReadsFromItsBytesAndWritesThemBack(type: UInt8, payload: [UInt8], expected: BSON) throws {
        let bytes = Self.document(type, payload)
        let document = try BSONReader.decode(bytes)
        #expect(document == ["v": expected])
        #expect(BSONWriter.encode(document) == bytes)
        #expect(expected.typeCode == type)
    }

    @Test func typeNamesAreMongoDBsTypeAliases() {
        let names: [(BSON, String)] = [
            (.decimal128(Decimal128("1")!), "decimal"), (.regularExpression(pattern: "", options: ""), "regex"),
            (.timestamp(t: 0, i: 0), "timestamp"), (.minKey, "minKey"), (.maxKey, "maxKey"), (.javascript(""), "javascript"),
            (.javascriptWithScope(code: "", scope: [:]), "javascriptWithScope"), (.symbol(""), "symbol"),
            (.dbPointer(ref: "", id: Self.id), "dbPointer"), (.undefined, "undefined"),
        ]
        for (value, name) in names { #expect(value.typeName == name) }
    }

    @Test func aTypeOutsideTheSpecificationIsNamedWithItsKey() {
        #expect(throws: BSONError(.unsupportedType, key: "n", reason: "BSON type 0x14 is not supported")) {
            try BSONReader.decode(Self.document(0x14, [], key: "n"))
        }
    }

    @Test func malformedCodeWithScopeAndBooleansAreErrors() {
        let scope = Self.document(0x0A, [], key: "x")
        #expect(throws: Never.self) { try BSONReader.decode(Self.document(0x0F, Self.int32(4 + 9 + scope.count) + Self.string("f(x)") + scope)) }
        let badLengths = [Self.int32(4 + 9 + scope.count + 1), Self.int32(4 + 9 + scope.count - 1), Self.int32(3), Self.int32(-1)]
        for length in badLengths {
            let bytes = Self.document(0x0F, length + Self.string("f(x)") + scope)
            #expect(throws: BSONError.self) { try BSONReader.decode(bytes) }
        }
        #expect(throws: BSONError(.malformed, key: "v", reason: "boolean byte 2 is neither 0 nor 1")) {
            try BSONReader.decode(Self.document(0x08, [2]))
        }
    }

    /// `{"a": {"a": ... {"a": null}}}`: `levels` documents, the outermost included.
    static func nested(levels: Int) -> [UInt8] {
        var bytes = document(0x0A, [], key: "a")
        for _ in 1..<levels { bytes = document(0x03, bytes, key: "a") }
        return bytes
    }

    @Test func nestingIsReadToTheLimitAndRefusedBeyondWithTheKeyPath() throws {
        var document = try BSONReader.decode(Self.nested(levels: BSONReader.maxDepth))
        for _ in 1..<BSONReader.maxDepth { document = try #require(document["a"]?.documentValue) }
        #expect(document == ["a": nil])
        let error = try #require(throws: BSONError.self) { try BSONReader.decode(Self.nested(levels: BSONReader.maxDepth + 1)) }
        #expect(error.code == .tooDeep)
        #expect(error.reason == "nested more than 150 levels deep")
        #expect(error.key == "a.a.a.a.…(142 more)….a.a.a.a")
    }

    @Test func aHundredThousandLevelsGiveAnErrorNotACrash() {
        // Level k (1 innermost) is its length 5 + 8k, the element header {0x04, "0", NUL},
        // level k - 1 and a NUL; written front to back in linear time.
        let levels = 100_000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(levels * 8 + 5)
        for level in stride(from: levels, to: 0, by: -1) { bytes += Self.int32(5 + 8 * level) + [0x04, UInt8(ascii: "0"), 0] }
        bytes += [5, 0, 0, 0, 0] + [UInt8](repeating: 0, count: levels)
        #expect(Array(bytes[0..<4]) == Self.int32(bytes.count))
        #expect(throws: BSONError.self) { try BSONReader.decode(bytes) }
    }

    @Test func aPartialReadKeepsTheFieldsBeforeTheFirstFailure() {
        let good = BSONWriter.encode(["_id": .objectId(Self.id), "name": "job"])
        // Replace the last field ("name") with a field of an unknown type.
        var bytes = Array(good.dropLast())
        bytes += [0x14] + Array("bad".utf8) + [0, 0]
        bytes.replaceSubrange(0..<4, with: Self.int32(bytes.count))
        let (document, failure) = BSONReader.decodePartially(bytes)
        #expect(document == ["_id": .objectId(Self.id), "name": "job"])
        #expect(failure?.code == .unsupportedType)
        #expect(failure?.key == "bad")

        let nestedFailure = BSONWriter.encode(["_id": .objectId(Self.id), "payload": ["x": ["y": 1]]])
        var corrupt = nestedFailure
        corrupt[corrupt.count - 10] = 0x14  // the type byte of "y"
        let partial = BSONReader.decodePartially(corrupt)
        #expect(partial.document == ["_id": .objectId(Self.id)])
        #expect(partial.failure?.key == "payload.x.y")
    }

    @Test func aPartialReadOfAGoodDocumentIsTheDocument() {
        let sample = BSONCodecTests.sample
        let (document, failure) = BSONReader.decodePartially(BSONWriter.encode(sample))
        #expect(document == sample)
        #expect(failure == nil)
        #expect(BSONReader.decodePartially([1, 2]).failure?.reason == "document ends early")
    }

    @Test func repeatedKeysKeepTheLastValueAtTheFirstPosition() throws {
        for count in [3, 40] {
            var body: [UInt8] = []
            for index in 0..<count { body += [0x10] + Array("k\(index % 2 == 0 ? 0 : index)".utf8) + [0] + Self.int32(index) }
            let bytes = Self.int32(body.count + 5) + body + [0]
            let document = try BSONReader.decode(bytes)
            #expect(document.keys.first == "k0")
            #expect(document["k0"] == .int32(Int32(count - 1 - (count - 1) % 2)))
            #expect(document.count == count / 2 + 1)
        }
    }
}
