extension ExtendedJSONParser {
    /// A string at the offset (its opening quote), escapes decoded. Fails on a raw control
    /// character, an unknown escape, an unpaired UTF-16 surrogate or invalid UTF-8.
    /// Complexity: O(length of the string).
    mutating func parseString() throws(BSONError) -> String {
        let start = offset
        offset += 1
        var chunkStart = offset
        // Only strings with escapes are copied; the others are validated in place.
        var decoded: [UInt8] = []
        var escaped = false
        while true {
            guard offset < bytes.count else { throw failure("unterminated string", at: start) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                let tail = UnsafeRawBufferPointer(rebasing: bytes[chunkStart..<offset])
                offset += 1
                let string: String?
                if escaped {
                    decoded.append(contentsOf: tail)
                    string = String(validating: decoded, as: UTF8.self)
                } else {
                    string = String(validating: tail, as: UTF8.self)
                }
                guard let string else { throw failure("invalid UTF-8 in the string", at: start) }
                return string
            } else if byte == UInt8(ascii: "\\") {
                decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[chunkStart..<offset]))
                escaped = true
                try parseEscape(into: &decoded)
                chunkStart = offset
            } else if byte < 0x20 {
                throw failure("control character in a string")
            } else {
                offset += 1
            }
        }
    }

    /// Decodes the escape at the offset (its backslash), appending its UTF-8 to `decoded`.
    private mutating func parseEscape(into decoded: inout [UInt8]) throws(BSONError) {
        let start = offset
        guard offset + 1 < bytes.count else { throw failure("unterminated string") }
        let letter = bytes[offset + 1]
        offset += 2
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(letter)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hexUnit()
            var value = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                else { throw failure("unpaired UTF-16 surrogate escape", at: start) }
                offset += 2
                let low = try hexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired UTF-16 surrogate escape", at: start) }
                value = 0x10000 + (UInt32(unit) - 0xD800) << 10 + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw failure("unpaired UTF-16 surrogate escape", at: start)
            }
            // Not a surrogate, or a pair combined: always a scalar.
            guard let scalar = Unicode.Scalar(value) else { throw failure("invalid escape", at: start) }
            UTF8.encode(scalar) { decoded.append($0) }
        default:
            throw failure("invalid escape", at: start)
        }
    }

    /// Four hexadecimal digits at the offset.
    private mutating func hexUnit() throws(BSONError) -> UInt16 {
        guard offset + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var unit: UInt16 = 0
        for byte in bytes[offset..<offset + 4] {
            guard let nibble = Self.hexValue(byte) else { throw failure("invalid \\u escape") }
            unit = unit << 4 | UInt16(nibble)
        }
        offset += 4
        return unit
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A number at the offset: int32, int64 or double as the type comment says.
    mutating func parseNumber() throws(BSONError) -> BSON {
        let start = offset
        guard let (end, isInteger) = Self.scanNumber(bytes, from: offset) else { throw failure("invalid number") }
        offset = end
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        if isInteger {
            if let number = Int32(text) { return .int32(number) }
            if let number = Int64(text) { return .int64(number) }
        }
        guard let number = Double(text), number.isFinite else { throw failure("number out of range", at: start) }
        return .double(number)
    }

    /// The end of the RFC 8259 number starting at `start`, and whether it has neither fraction
    /// nor exponent; nil when no number starts there.
    static func scanNumber(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, isInteger: Bool)? {
        var index = start
        func isDigit() -> Bool {
            index < bytes.count && bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")
        }
        func digits() -> Bool {
            guard isDigit() else { return false }
            while isDigit() { index += 1 }
            return true
        }
        func skip(_ first: UInt8, _ second: UInt8 = 0) -> Bool {
            guard index < bytes.count, bytes[index] == first || (second != 0 && bytes[index] == second) else { return false }
            index += 1
            return true
        }
        _ = skip(UInt8(ascii: "-"))
        if !skip(UInt8(ascii: "0")) { guard digits() else { return nil } }
        var isInteger = true
        if skip(UInt8(ascii: ".")) {
            guard digits() else { return nil }
            isInteger = false
        }
        if skip(UInt8(ascii: "e"), UInt8(ascii: "E")) {
            _ = skip(UInt8(ascii: "+"), UInt8(ascii: "-"))
            guard digits() else { return nil }
            isInteger = false
        }
        return (index, isInteger)
    }
}
