import CMongoC
import Foundation
import Testing
@testable import BSON
@testable import QueueMongo

/// ``ExtendedJSON``: the strict parser and the formatter, and that one reads what the other
/// writes.
@Suite("Extended JSON")
struct ExtendedJSONTests {
    static let id = ObjectId("0123456789abcdef01234567")!

    @Test func randomDocumentsOfEveryTypeParseBackFromTheirJSON() throws {
        let seed: UInt64 = 0x15011
        var random = RandomBSON(seed: seed, jsonSafe: true)
        for round in 0..<2_000 {
            let document = random.document()
            let text = ExtendedJSON.format(.document(document))
            let parsed: BSONDocument
            do { parsed = try ExtendedJSON.parseDocument(text) } catch {
                Issue.record("seed \(seed), round \(round): \(error) for \(text)")
                return
            }
            // Bytes, so that types (int32 and int64, 0.0 and -0.0) and NaN compare exactly.
            guard BSONWriter.encode(parsed) == BSONWriter.encode(document) else {
                Issue.record("seed \(seed), round \(round): \(text) came back as \(parsed)")
                return
            }
        }
    }

    @Test func libbsonReadsTheJSONWeWrite() throws {
        var random = RandomBSON(seed: 0x11B, jsonSafe: true)
        random.stringsWithNUL = false
        random.scopes = false
        for round in 0..<300 {
            let document = random.document()
            // NUL-terminated although the length is given, in case a conversion inside libbson
            // reads to a terminator.
            // libbson once refused, in one full run of the suite, a document it read in every
            // other run and when parsing it alone: a refusal is tried once more, on a fresh copy,
            // so that only JSON libbson refuses every time fails this test.
            var error = bson_error_t()
            let parse = { () -> OpaquePointer? in
                let utf8 = Array(ExtendedJSON.format(.document(document)).utf8) + [0]
                return bson_new_from_json(utf8, utf8.count - 1, &error)
            }
            guard let bson = parse() ?? parse() else {
                let reason = withUnsafeBytes(of: error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                Issue.record("round \(round): libbson refused \(document) twice: \(reason)")
                continue
            }
            defer { bson_destroy(bson) }
            #expect(BSONWriter.encode(try BSONDocument(copying: bson)) == BSONWriter.encode(document), "round \(round): \(document)")
        }
    }

    @Test(arguments: [
        (BSON.int64(5), #"{"$numberLong":"5"}"#), (.int64(1 << 40), "1099511627776"), (.int32(-5), "-5"),
        (.double(5), "5.0"), (.double(-0.0), "-0.0"), (.double(1e20), "1e+20"), (.double(.nan), #"{"$numberDouble":"NaN"}"#),
        (.date(Date(millisecondsSince1970: 1_774_746_000_123)), #"{"$date":"2026-03-29T01:00:00.123Z"}"#),
        (.date(Date(millisecondsSince1970: -1)), #"{"$date":{"$numberLong":"-1"}}"#),
        (.date(Date(millisecondsSince1970: 253_402_300_800_000)), #"{"$date":{"$numberLong":"253402300800000"}}"#),
        (.decimal128(Decimal128("1.5")!), #"{"$numberDecimal":"1.5"}"#),
        (.regularExpression(pattern: "a", options: "i"), #"{"$regularExpression":{"pattern":"a","options":"i"}}"#),
        (.timestamp(t: 1, i: 2), #"{"$timestamp":{"t":1,"i":2}}"#), (.minKey, #"{"$minKey":1}"#), (.maxKey, #"{"$maxKey":1}"#),
        (.javascript("f()"), #"{"$code":"f()"}"#), (.javascriptWithScope(code: "x", scope: ["x": [1]]), #"{"$code":"x","$scope":{"x":[1]}}"#),
        (.symbol("s"), #"{"$symbol":"s"}"#), (.dbPointer(ref: "c", id: id), #"{"$dbPointer":{"$ref":"c","$id":{"$oid":"0123456789abcdef01234567"}}}"#),
        (.undefined, #"{"$undefined":true}"#), (.binary(subtype: 0x80, bytes: [1, 2]), #"{"$binary":{"base64":"AQI=","subType":"80"}}"#),
        // The old binary subtype's own length prefix is not part of its extended JSON.
        (.binary(subtype: 2, bytes: [2, 0, 0, 0, 0xFF, 0xFF]), #"{"$binary":{"base64":"//8=","subType":"02"}}"#),
        (.string("a\"\\\n\u{1}é"), #""a\"\\\nu0001é""#.replacingOccurrences(of: "nu0001", with: "n\\u0001")),
    ])
    func valuesAreWrittenInTheirExtendedJSONForm(value: BSON, json: String) throws {
        #expect(ExtendedJSON.format(value) == json)
        let parsed = try ExtendedJSON.parseDocument("{\"v\":\(json)}")
        #expect(BSONWriter.encode(parsed) == BSONWriter.encode(["v": value]))
    }

    @Test(arguments: [
        (#"{"$numberInt":"-7"}"#, BSON.int32(-7)), (#"{"$numberLong":"-9223372036854775808"}"#, .int64(.min)),
        (#"{"$numberDouble":"-Infinity"}"#, .double(-.infinity)), (#"{"$numberDouble":"1.0E+3"}"#, .double(1000)),
        (#"{"$date":{"$numberLong":"-62135596800000"}}"#, .date(Date(millisecondsSince1970: -62_135_596_800_000))),
        (#"{"$date":1000}"#, .date(Date(millisecondsSince1970: 1000))),
        (#"{"$date":"1970-01-01T01:00:00.5+01:00"}"#, .date(Date(millisecondsSince1970: 500))),
        (#"{"$date":"0001-01-01T00:00:00Z"}"#, .date(Date(millisecondsSince1970: -62_135_596_800_000))),
        (#"{"$binary":"AQI=","$type":"5"}"#, .binary(subtype: 5, bytes: [1, 2])),
        (#"{ "subType" : "00", "base64" : "" }"#, ["subType": "00", "base64": ""]),
        (#"{"$binary":{"subType":"0","base64":""}}"#, .binary(subtype: 0, bytes: [])),
        (#"{"$scope":{},"$code":""}"#, .javascriptWithScope(code: "", scope: [:])),
        (#"{"$timestamp":{"i":4294967295,"t":0}}"#, .timestamp(t: 0, i: .max)),
        (#"{"$type":"string"}"#, ["$type": "string"]), (#"{"$gt":1}"#, ["$gt": 1]),
        ("2147483647", .int32(.max)), ("2147483648", .int64(1 << 31)), ("-9223372036854775809", .double(-0x1p63)),
        ("1E2", .double(100)), ("-0", .int32(0)), ("0.5e-1", .double(0.05)), (#""\ud83d\ude00\u00e9\/""#, "😀é/"),
        ("[]", []), (" [ 1 , [ ] ] ", [1, []]), ("{}", [:]),
    ] as [(String, BSON)])
    func wrappersInCanonicalAndRelaxedFormAreRead(json: String, expected: BSON) throws {
        #expect(try ExtendedJSON.parseDocument("{\"v\":\(json)}") == ["v": expected])
    }

    @Test func trailingDataAfterTheObjectIsRefused() throws {
        #expect(throws: BSONError(.invalidJSON, reason: "unexpected data after the JSON object at offset 7")) {
            try ExtendedJSON.parseDocument("{\"a\":1}{\"b\":2}")
        }
        for text in ["{} x", "{},", "{}}", "{} \u{0}", "{}\u{FEFF}"] {
            #expect(throws: BSONError.self, "\(text)") { try ExtendedJSON.parseDocument(text) }
        }
        #expect(try ExtendedJSON.parseDocument(" \t\r\n{\"a\":1} \n\t\r ") == ["a": 1])
    }

    @Test(arguments: [
        "", "   ", "[1]", "1", "null", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{'a':1}", "{a:1}", "{\"a\":01}",
        "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":1e400}", "{\"a\":NaN}", "{\"a\":tru}",
        "{\"a\":\"\u{1}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}",
        "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"unterminated}", "{\"a\\u0000\":1}", "{\"a\":1,\"a\":2}", "{\"a\":[1,]}",
        "{\"$oid\":\"0123456789abcdef01234567\"}", "{\"a\":{\"$oid\":\"xyz\"}}", "{\"a\":{\"$oid\":\"0123456789abcdef01234567\",\"b\":1}}",
        "{\"a\":{\"$numberInt\":\"2147483648\"}}", "{\"a\":{\"$numberInt\":\"+1\"}}", "{\"a\":{\"$numberInt\":1}}",
        "{\"a\":{\"$numberLong\":\"1.5\"}}", "{\"a\":{\"$numberDouble\":\"1e999\"}}", "{\"a\":{\"$numberDouble\":\"nan\"}}",
        "{\"a\":{\"$numberDecimal\":\"1E+99999\"}}", "{\"a\":{\"$date\":\"2026-02-30T00:00:00Z\"}}",
        "{\"a\":{\"$date\":\"2026-01-01T00:00:00+15:00\"}}", "{\"a\":{\"$date\":\"2026-01-01T24:00:00Z\"}}",
        "{\"a\":{\"$date\":\"2026-01-01\"}}", "{\"a\":{\"$date\":1.5}}", "{\"a\":{\"$binary\":{\"base64\":\"!\",\"subType\":\"00\"}}}",
        "{\"a\":{\"$binary\":{\"base64\":\"\",\"subType\":\"100\"}}}", "{\"a\":{\"$regularExpression\":{\"pattern\":\"a\\u0000\",\"options\":\"\"}}}",
        "{\"a\":{\"$timestamp\":{\"t\":-1,\"i\":0}}}", "{\"a\":{\"$minKey\":0}}", "{\"a\":{\"$undefined\":false}}",
        "{\"a\":{\"$scope\":{}}}", "{\"a\":{\"$code\":\"\",\"$scope\":1}}", "{\"a\":{\"$dbPointer\":{\"$ref\":\"c\",\"$id\":\"x\"}}}",
        "{\"a\":{\"$symbol\":1}}",
    ])
    func malformedJSONIsAnErrorThatNamesTheProblem(text: String) throws {
        let error = try #require(throws: BSONError.self) { try ExtendedJSON.parseDocument(text) }
        #expect(error.code == .invalidJSON)
    }

    @Test func errorsNameTheProblemAndOffsetButNotTheValue() {
        let cases: [(String, String)] = [
            ("{\"secret\":\"x\",\"secret\":1}", "repeated key at offset 14"),
            ("{\"a\":{\"$oid\":\"secret\"}}", "invalid $oid (expected 24 hexadecimal digits) at offset 5"),
            ("{\"a\":\"\\ud800\"}", "unpaired UTF-16 surrogate escape at offset 6"),
            ("{\"a\":1e999}", "number out of range at offset 5"),
            ("{\"a\" 1}", "expected ':' at offset 5"),
            ("", "expected a JSON object, got nothing"),
        ]
        for (text, reason) in cases {
            #expect(throws: BSONError(.invalidJSON, reason: reason), "\(text)") { try ExtendedJSON.parseDocument(text) }
        }
    }

    @Test func invalidUTF8InStringsIsRefused() throws {
        for bytes: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            let text = Array("{\"a\":\"".utf8) + bytes + Array("\"}".utf8)
            #expect(throws: BSONError.self) { try ExtendedJSONParser.parseDocument(text) }
        }
        // A Swift string cannot hold invalid UTF-8: it arrives repaired, and parses.
        let repaired = String(decoding: Array("{\"a\":\"".utf8) + [0xFF] + Array("\"}".utf8), as: UTF8.self)
        #expect(try ExtendedJSON.parseDocument(repaired) == ["a": "\u{FFFD}"])
    }

    @Test func nestingIsAcceptedToAHundredLevelsAndRefusedBeyond() throws {
        func nested(_ levels: Int, innermost: String = "1") -> String {
            String(repeating: "{\"a\":", count: levels) + innermost + String(repeating: "}", count: levels)
        }
        _ = try ExtendedJSON.parseDocument(nested(100))
        // A wrapper at the deepest level stands for a value, not a level.
        _ = try ExtendedJSON.parseDocument(nested(100, innermost: #"{"$dbPointer":{"$ref":"c","$id":{"$oid":"0123456789abcdef01234567"}}}"#))
        _ = try ExtendedJSON.parseDocument(nested(100, innermost: "[]"))
        #expect(throws: BSONError(.invalidJSON, reason: "nested more than 100 levels deep at offset 500")) {
            try ExtendedJSON.parseDocument(nested(101))
        }
        #expect(throws: BSONError.self) { try ExtendedJSON.parseDocument(nested(100, innermost: "[1]")) }
        #expect(throws: BSONError.self) { try ExtendedJSON.parseDocument(nested(99, innermost: #"{"$code":"","$scope":{"a":{"b":1}}}"#)) }
    }

    @Test func aHundredThousandLevelsOfJSONGiveAnErrorNotACrash() {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = "{\"a\":" + String(repeating: open, count: 100_000) + String(repeating: close, count: 100_000) + "}"
            #expect(throws: BSONError.self) { try ExtendedJSON.parseDocument(text) }
        }
        let wrappers = "{\"a\":" + String(repeating: "{\"$date\":", count: 100_000) + "1" + String(repeating: "}", count: 100_001)
        #expect(throws: BSONError.self) { try ExtendedJSON.parseDocument(wrappers) }
    }
}
