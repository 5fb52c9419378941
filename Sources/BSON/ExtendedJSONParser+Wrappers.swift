import Foundation

extension ExtendedJSONParser {
    /// Whether `key` makes an object a type wrapper (`$scope` and `$type` only go with `$code`
    /// and `$binary`). An object holding one must be exactly that wrapper: anything else is an
    /// error, never a document with a `$` key, so that a mistyped value is not stored as data.
    static func isWrapperKey(_ key: String) -> Bool {
        guard key.utf8.first == UInt8(ascii: "$") else { return false }
        switch key {
        case "$oid", "$date", "$numberInt", "$numberLong", "$numberDouble", "$numberDecimal", "$binary",
             "$regularExpression", "$timestamp", "$minKey", "$maxKey", "$code", "$symbol", "$dbPointer", "$undefined":
            return true
        default:
            return false
        }
    }

    /// The value the wrapper object starting at `start` stands for, in canonical or relaxed
    /// form (and the legacy `{"$binary": base64, "$type": hex}`).
    func wrapper(_ members: [Member], at start: Int) throws(BSONError) -> BSON {
        // The wrapper's own key, and the one other key it may have ($scope, $type).
        var name = members[0].key
        var value = members[0].value
        var second: Member?
        for member in members where Self.isWrapperKey(member.key) {
            name = member.key
            value = member.value
            break
        }
        for member in members where member.key != name {
            guard second == nil else { throw failure("invalid extended JSON \(name) (wrong keys)", at: start) }
            second = member
        }
        func invalid(_ expectation: String) -> BSONError { failure("invalid \(name) (\(expectation))", at: start) }
        func only(_ expectation: String) throws(BSONError) {
            guard second == nil else { throw invalid(expectation) }
        }

        switch name {
        case "$oid":
            try only("expected 24 hexadecimal digits")
            guard case .string(let hex) = value, let id = ObjectId(hex) else { throw invalid("expected 24 hexadecimal digits") }
            return .objectId(id)
        case "$date":
            let expectation = "expected an ISO-8601 date, {\"$numberLong\": ...} or a number of milliseconds"
            try only(expectation)
            guard let milliseconds = Self.dateMilliseconds(value) else { throw invalid(expectation) }
            return .date(Date(millisecondsSince1970: milliseconds))
        case "$numberInt":
            try only("expected an int32 in a string")
            guard case .string(let text) = value, Self.isInteger(text), let number = Int32(text) else {
                throw invalid("expected an int32 in a string")
            }
            return .int32(number)
        case "$numberLong":
            try only("expected an int64 in a string")
            guard case .string(let text) = value, Self.isInteger(text), let number = Int64(text) else {
                throw invalid("expected an int64 in a string")
            }
            return .int64(number)
        case "$numberDouble":
            let expectation = "expected a number, NaN, Infinity or -Infinity in a string"
            try only(expectation)
            guard case .string(let text) = value, let number = Self.double(text) else { throw invalid(expectation) }
            return .double(number)
        case "$numberDecimal":
            try only("expected an exact decimal128 in a string")
            guard case .string(let text) = value, let decimal = Decimal128(text) else {
                throw invalid("expected an exact decimal128 in a string")
            }
            return .decimal128(decimal)
        case "$binary":
            if let second {
                // Legacy: {"$binary": base64, "$type": hex}.
                guard second.key == "$type", case .string(let base64) = value, case .string(let subtype) = second.value,
                      let binary = Self.binary(base64, subtype: subtype)
                else { throw invalid("expected base64 and a hexadecimal $type") }
                return binary
            }
            guard case .document(let parts) = value, parts.count == 2, case .string(let base64)? = parts["base64"],
                  case .string(let subtype)? = parts["subType"], let binary = Self.binary(base64, subtype: subtype)
            else { throw invalid("expected {\"base64\": ..., \"subType\": hex}") }
            return binary
        case "$regularExpression":
            let expectation = "expected {\"pattern\": ..., \"options\": ...} without NUL"
            try only(expectation)
            guard case .document(let parts) = value, parts.count == 2, case .string(let pattern)? = parts["pattern"],
                  case .string(let options)? = parts["options"], !Self.containsNUL(pattern), !Self.containsNUL(options)
            else { throw invalid(expectation) }
            return .regularExpression(pattern: pattern, options: options)
        case "$timestamp":
            let expectation = "expected {\"t\": ..., \"i\": ...} of unsigned 32-bit integers"
            try only(expectation)
            guard case .document(let parts) = value, parts.count == 2, let t = parts["t"].flatMap(Self.uint32),
                  let i = parts["i"].flatMap(Self.uint32)
            else { throw invalid(expectation) }
            return .timestamp(t: t, i: i)
        case "$minKey", "$maxKey":
            try only("expected 1")
            guard case .int32(1) = value else { throw invalid("expected 1") }
            return name == "$minKey" ? .minKey : .maxKey
        case "$code":
            guard case .string(let code) = value else { throw invalid("expected a string") }
            guard let second else { return .javascript(code) }
            guard second.key == "$scope", case .document(let scope) = second.value else {
                throw invalid("expected a document as $scope")
            }
            return .javascriptWithScope(code: code, scope: scope)
        case "$symbol":
            try only("expected a string")
            guard case .string(let text) = value else { throw invalid("expected a string") }
            return .symbol(text)
        case "$dbPointer":
            let expectation = "expected {\"$ref\": ..., \"$id\": {\"$oid\": ...}}"
            try only(expectation)
            guard case .document(let parts) = value, parts.count == 2, case .string(let ref)? = parts["$ref"],
                  case .objectId(let id)? = parts["$id"]
            else { throw invalid(expectation) }
            return .dbPointer(ref: ref, id: id)
        case "$undefined":
            try only("expected true")
            guard case .bool(true) = value else { throw invalid("expected true") }
            return .undefined
        default:
            // "$scope" without "$code".
            throw failure("invalid extended JSON \(name) (wrong keys)", at: start)
        }
    }

    static func containsNUL(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { utf8 in utf8.baseAddress.map { memchr($0, 0, utf8.count) != nil } ?? false }
    }

    /// Milliseconds of a `$date` value: an ISO-8601 string, an int64 (`$numberLong`), or a
    /// whole number of milliseconds (legacy relaxed form).
    private static func dateMilliseconds(_ value: BSON) -> Int64? {
        switch value {
        case .string(let text): RFC3339.milliseconds(parsing: text.utf8)
        case .int32(let number): Int64(number)
        case .int64(let number): number
        case .double(let number): Int64(exactly: number)
        default: nil
        }
    }

    /// `-?digits`, as extended JSON writes integers in strings.
    private static func isInteger(_ text: String) -> Bool {
        let digits = text.utf8.first == UInt8(ascii: "-") ? text.utf8.dropFirst() : text.utf8[...]
        return !digits.isEmpty && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// A `$numberDouble` string: a JSON number that a double holds, or a non-finite name.
    private static func double(_ text: String) -> Double? {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            let bytes = Array(text.utf8)
            let end = bytes.withUnsafeBytes { scanNumber($0, from: 0)?.end }
            guard end == bytes.count, let number = Double(text), number.isFinite else { return nil }
            return number
        }
    }

    /// Binary data from base64 and a subtype of one or two hexadecimal digits.
    private static func binary(_ base64: String, subtype: String) -> BSON? {
        let digits = Array(subtype.utf8)
        guard (1...2).contains(digits.count), let data = Data(base64Encoded: base64) else { return nil }
        var value: UInt8 = 0
        for digit in digits {
            guard let nibble = hexValue(digit) else { return nil }
            value = value << 4 | nibble
        }
        // The old binary subtype stores the data's length before it, which extended JSON omits.
        let length = value == 2 ? withUnsafeBytes(of: Int32(truncatingIfNeeded: data.count).littleEndian) { [UInt8]($0) } : []
        return .binary(subtype: value, bytes: length + [UInt8](data))
    }

    private static func uint32(_ value: BSON) -> UInt32? {
        switch value {
        case .int32(let number): UInt32(exactly: number)
        case .int64(let number): UInt32(exactly: number)
        default: nil
        }
    }
}
