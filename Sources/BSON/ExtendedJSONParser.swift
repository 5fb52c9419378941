/// A strict parser of one JSON object (RFC 8259) with MongoDB extended JSON v2 type wrappers,
/// behind ``ExtendedJSON/parseDocument(_:)``.
///
/// Rules, and why:
/// - Only whitespace may follow the object: `{"a":1}{"b":2}` is an error, not `{"a":1}`.
/// - Documents and arrays nest at most ``maxDepth`` levels, counted as MongoDB counts them for
///   `checkStorable`: the object is level 1, each non-empty document, array or scope inside
///   adds one, and a type wrapper counts as the value it stands for. Raw JSON nesting is
///   bounded too, so no text makes the parser recurse more than ``maxDepth`` + 3 objects deep.
/// - Integers become int32 when they fit, int64 when they do not, double beyond; a number with
///   a fraction or exponent is a double; a number too large for a double is an error.
/// - Strings must be valid UTF-8 without raw control characters; `\u` escapes must pair their
///   surrogates; keys and regular expressions cannot hold NUL (BSON stores them as C strings).
/// - Repeated keys are an error rather than a silently dropped value.
/// - Errors name what is wrong and its byte offset, never the text's values.
struct ExtendedJSONParser {
    /// The deepest nesting of documents and arrays, as MongoDB stores it.
    static let maxDepth = 100
    /// Type wrappers hold up to three levels of JSON objects
    /// (`{"$dbPointer": {"$ref": ..., "$id": {"$oid": ...}}}`) for one BSON value.
    private static let maxNesting = maxDepth + 3

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    /// A key and value of an object, and where the key starts.
    struct Member {
        var key: String
        var value: BSON
        var offset: Int
    }

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Parses the JSON object that `bytes` (UTF-8, not necessarily valid) hold.
    /// Complexity: O(count of the bytes).
    static func parseDocument(_ bytes: UnsafeRawBufferPointer) throws(BSONError) -> BSONDocument {
        var parser = ExtendedJSONParser(bytes)
        parser.skipWhitespace()
        guard parser.offset < bytes.count, bytes[parser.offset] == UInt8(ascii: "{") else {
            let got = parser.offset < bytes.count ? "another JSON value" : "nothing"
            throw BSONError(.invalidJSON, reason: "expected a JSON object, got \(got)")
        }
        guard case .document(let document) = try parser.parseValue(level: 1, nesting: 1) else {
            throw BSONError(.invalidJSON, reason: "expected a JSON object, got an extended JSON value")
        }
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.failure("unexpected data after the JSON object") }
        return document
    }

    /// ``parseDocument(_:)-(UnsafeRawBufferPointer)`` on `bytes`.
    static func parseDocument(_ bytes: [UInt8]) throws(BSONError) -> BSONDocument {
        let result: Result<BSONDocument, BSONError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BSONError) in try parseDocument(raw) }
        }
        return try result.get()
    }

    /// The value at the offset. `level` is the nesting level a document or array here would
    /// have (nil inside a type wrapper, where objects are the wrapper's own parts); `nesting`
    /// counts JSON objects and arrays, wrappers included.
    mutating func parseValue(level: Int?, nesting: Int) throws(BSONError) -> BSON {
        skipWhitespace()
        guard offset < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try parseObject(level: level, nesting: nesting)
        case UInt8(ascii: "["): return try parseArray(level: level, nesting: nesting)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    private mutating func parseObject(level: Int?, nesting: Int) throws(BSONError) -> BSON {
        let start = offset
        guard nesting <= Self.maxNesting else { throw tooDeep(at: start) }
        offset += 1
        var members: [Member] = []
        var isWrapper = false
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
        } else {
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a key in quotes") }
                let keyOffset = offset
                let key = try parseString()
                guard !Self.containsNUL(key) else { throw failure("a key cannot contain NUL", at: keyOffset) }
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw failure("expected ':'") }
                offset += 1
                // A wrapper's parts are not documents of their own; a scope is the document
                // that stands where the wrapper is.
                let wrapperKey = Self.isWrapperKey(key)
                isWrapper = isWrapper || wrapperKey || key == "$scope"
                let valueLevel = wrapperKey ? nil : key == "$scope" ? level : level.map { $0 + 1 }
                members.append(Member(key: key, value: try parseValue(level: valueLevel, nesting: nesting + 1), offset: keyOffset))
                skipWhitespace()
                guard offset < bytes.count else { throw failure("unexpected end of input") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                } else if bytes[offset] == UInt8(ascii: "}") {
                    offset += 1
                    break
                } else {
                    throw failure("expected ',' or '}'")
                }
            }
        }
        if isWrapper { return try wrapper(members, at: start) }
        // An empty document adds no level, as MongoDB counts them.
        if let level, level > Self.maxDepth, !members.isEmpty { throw tooDeep(at: start) }
        try checkUniqueKeys(members)
        return .document(BSONDocument(readFields: members.map { ($0.key, $0.value) }))
    }

    private mutating func parseArray(level: Int?, nesting: Int) throws(BSONError) -> BSON {
        let start = offset
        guard nesting <= Self.maxNesting else { throw tooDeep(at: start) }
        offset += 1
        var elements: [BSON] = []
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            return .array(elements)
        }
        // An empty array adds no level, as MongoDB counts them.
        guard (level ?? 0) <= Self.maxDepth else { throw tooDeep(at: start) }
        while true {
            elements.append(try parseValue(level: level.map { $0 + 1 }, nesting: nesting + 1))
            skipWhitespace()
            guard offset < bytes.count else { throw failure("unexpected end of input") }
            if bytes[offset] == UInt8(ascii: ",") {
                offset += 1
            } else if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array(elements)
            } else {
                throw failure("expected ',' or ']'")
            }
        }
    }

    private func checkUniqueKeys(_ members: [Member]) throws(BSONError) {
        if members.count <= 8 {
            for index in members.indices {
                for earlier in 0..<index where members[earlier].key == members[index].key {
                    throw failure("repeated key", at: members[index].offset)
                }
            }
        } else {
            var seen = Set<String>(minimumCapacity: members.count)
            for member in members where !seen.insert(member.key).inserted {
                throw failure("repeated key", at: member.offset)
            }
        }
    }

    private mutating func literal(_ word: StaticString, _ value: BSON) throws(BSONError) -> BSON {
        let count = word.utf8CodeUnitCount
        guard count <= bytes.count - offset,
              word.withUTF8Buffer({ $0.elementsEqual(bytes[offset..<offset + count]) })
        else { throw failure("unexpected character") }
        offset += count
        return value
    }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): offset += 1
            default: return
            }
        }
    }

    /// An `invalidJSON` error: `reason` at `offset` (the current one by default).
    func failure(_ reason: String, at offset: Int? = nil) -> BSONError {
        BSONError(.invalidJSON, reason: "\(reason) at offset \(offset ?? self.offset)")
    }

    private func tooDeep(at offset: Int) -> BSONError {
        failure("nested more than \(Self.maxDepth) levels deep", at: offset)
    }
}
