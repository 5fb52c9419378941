import Testing
@testable import BSON

/// `BSONDocument.checkStorable`: MongoDB's nesting and size limits, checked before storing.
@Suite("BSON storable")
struct BSONStorableTests {
    /// `levels` documents, the outermost included: `{"a": {"a": ... {"a": 1}}}`.
    static func nested(levels: Int, innermost: BSON = 1) -> BSONDocument {
        var document: BSONDocument = ["a": innermost]
        for _ in 1..<levels { document = ["a": .document(document)] }
        return document
    }

    @Test func aHundredLevelsAreStorableAndOneMoreIsRefusedWithItsKeyPath() throws {
        try Self.nested(levels: 100).checkStorable()
        let error = try #require(throws: BSONError.self) { try Self.nested(levels: 101).checkStorable() }
        #expect(error.code == .tooDeep)
        #expect(error.reason == "nested 101 levels deep; MongoDB stores at most 100")
        #expect(error.key == "a.a.a.a.…(92 more)….a.a.a.a")
    }

    @Test func arraysAndScopesCountAsLevelsAndEmptyOnesDoNot() throws {
        var array: BSON = [1]
        for _ in 1..<99 { array = [array] }
        try (["list": array] as BSONDocument).checkStorable()
        #expect(throws: BSONError.self) { try (["list": [array]] as BSONDocument).checkStorable() }

        try Self.nested(levels: 100, innermost: .document([:])).checkStorable()
        try Self.nested(levels: 100, innermost: []).checkStorable()
        let scope = BSON.javascriptWithScope(code: "x", scope: ["x": 1])
        try Self.nested(levels: 99, innermost: scope).checkStorable()
        #expect(throws: BSONError.self) { try Self.nested(levels: 100, innermost: scope).checkStorable() }
    }

    @Test func aLimitCanBeLowered() throws {
        try Self.nested(levels: 3).checkStorable(maxDepth: 3)
        #expect(throws: BSONError(.tooDeep, key: "a.a.a", reason: "nested 4 levels deep; MongoDB stores at most 3")) {
            try Self.nested(levels: 4).checkStorable(maxDepth: 3)
        }
    }

    @Test func aValueNestedAHundredThousandLevelsInMemoryIsRefusedNotACrash() throws {
        var value: BSON = 1
        for _ in 0..<100_000 { value = ["a": value] }
        let error = try #require(throws: BSONError.self) { try (["a": value] as BSONDocument).checkStorable() }
        #expect(error.code == .tooDeep)
        #expect(ExtendedJSON.format(value).count == 100_000 * 6 + 1)
        // Taken apart level by level: releasing it whole would recurse once per level.
        while case .document(let document) = value, let inner = document["a"] { value = inner }
    }

    @Test func sixteenMebibytesAreStorableAndOneByteMoreIsRefused() throws {
        // {"b": binary}: 4 + type 1 + "b\0" 2 + length 4 + subtype 1 + bytes + final NUL 1.
        let limit = 16 * 1024 * 1024
        try (["b": .binary(subtype: 0, bytes: [UInt8](repeating: 7, count: limit - 13))] as BSONDocument).checkStorable()
        let large: BSONDocument = ["b": .binary(subtype: 0, bytes: [UInt8](repeating: 7, count: limit - 12))]
        #expect(BSONWriter.encode(large).count == limit + 1)
        #expect(throws: BSONError(.tooLarge, reason: "document is 16,777,217 bytes; MongoDB stores at most 16,777,216")) {
            try large.checkStorable()
        }
    }

    @Test func theSizeIsCountedAsTheWriterWritesIt() {
        var random = RandomBSON(seed: 0x5123)
        random.maxDepth = 6
        for _ in 0..<500 {
            let document = random.document()
            #expect(BSONDocument.encodedSize(document) == BSONWriter.encode(document).count)
        }
        let array: BSONDocument = ["a": .array(Array(repeating: .null, count: 1_234))]
        #expect(BSONDocument.encodedSize(array) == BSONWriter.encode(array).count)
    }
}
