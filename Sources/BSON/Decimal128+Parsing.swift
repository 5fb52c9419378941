extension Decimal128 {
    /// Parses a decimal string: `[+-]digits[.digits][(e|E)[+-]digits]`, `Infinity` or `Inf`
    /// (with an optional sign) or `NaN`, letters in any case, as in extended JSON's
    /// `{"$numberDecimal": "..."}`.
    ///
    /// The value must be represented exactly: more than 34 significant digits are accepted only
    /// when the extra ones are trailing zeros, and an exponent out of range only when padding or
    /// dropping zeros brings it in (`"1E+6112"` becomes `10E+6111`). Anything that would need
    /// rounding gives nil rather than a different number, as the specification allows.
    /// Complexity: O(length of the string).
    public init?(_ text: String) {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let sign = utf8.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        let word = String(Substring(utf8)).lowercased()
        if word == "nan" {
            self.init(.nan)
            return
        }
        if word == "inf" || word == "infinity" {
            self.init(.infinity(negative: negative))
            return
        }
        guard let (coefficient, exponent) = Self.parseFinite(Array(utf8)) else { return nil }
        guard let kind = Self.exact(negative: negative, coefficient: coefficient, exponent: exponent) else { return nil }
        self.init(kind)
    }

    /// The significant digits (leading zeros dropped) and exponent of
    /// `digits[.digits][e[+-]digits]`; nil when the text is not that or has more than 34
    /// significant digits that are not all trailing zeros. Zeros beyond the 34th digit and the
    /// written exponent are counted, not stored, and the exponent saturates far outside the
    /// representable range, so that no string can exhaust memory or overflow.
    private static func parseFinite(_ bytes: [UInt8]) -> (digits: [UInt8], exponent: Int)? {
        var index = 0
        var digits: [UInt8] = []
        var extraZeros = 0
        var sawDigit = false
        var fractionDigits = 0
        var sawPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                sawDigit = true
                if sawPoint { fractionDigits += 1 }
                let digit = byte - UInt8(ascii: "0")
                if digits.isEmpty, digit == 0 {
                    // A leading zero adds nothing.
                } else if digits.count < 34 {
                    digits.append(digit)
                } else if digit == 0 {
                    extraZeros += 1
                } else {
                    return nil
                }
            } else if byte == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        var exponent = extraZeros - fractionDigits
        if index < bytes.count {
            guard bytes[index] | 0x20 == UInt8(ascii: "e") else { return nil }
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count else { return nil }
            var written = 0
            while index < bytes.count {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                written = min(written * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000_000)
                index += 1
            }
            exponent += exponentNegative ? -written : written
        }
        return (digits, exponent)
    }

    /// The exact value of `digits × 10^exponent`, or nil when it would need rounding.
    private static func exact(negative: Bool, coefficient digits: [UInt8], exponent: Int) -> Kind? {
        var digits = digits
        var exponent = exponent
        // Trailing zeros move into the exponent while it is too small.
        while let last = digits.last, last == 0, exponent < exponentRange.lowerBound {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            // Zero: any exponent clamps to the range without changing the value.
            return .finite(negative: negative, coefficient: 0, exponent: min(max(exponent, exponentRange.lowerBound), exponentRange.upperBound))
        }
        // Padding with zeros brings a large exponent down while the coefficient has room.
        while exponent > exponentRange.upperBound, digits.count < 34 {
            digits.append(0)
            exponent -= 1
        }
        guard exponentRange.contains(exponent) else { return nil }
        var coefficient: UInt128 = 0
        for digit in digits { coefficient = coefficient * 10 + UInt128(digit) }
        return .finite(negative: negative, coefficient: coefficient, exponent: exponent)
    }
}
