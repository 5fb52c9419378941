/// The parsed content of one field: a bit set of plain values plus the day-field extras.
struct ParsedField: Hashable, Sendable {
    /// Bit `v` is set when value `v` matches (day-of-week uses 0-6; 7 is folded into 0).
    var bits: UInt64 = 0
    /// Whether the field's text starts with `*` or `?`; crontab(5) reads such a day field
    /// as unrestricted, and an hour field so written fires at every repeated hour.
    var startsWithStar = false
    /// Day-of-month `L`.
    var lastDayOfMonth = false
    /// Day-of-week `nL`: bit `n` set.
    var lastWeekdays: UInt8 = 0
    /// Day-of-week `n#k`: bit `n * 5 + k - 1` set.
    var nthWeekdays: UInt64 = 0
}

/// Parses the text of one field (`1-5/2,JAN,L`) into a `ParsedField`.
///
/// Why hand-written over UTF-8 bytes: the parser must never crash or hang on any input (it
/// is fuzzed with 100k random strings) and should cost microseconds, not the grapheme
/// breaking of `Character`-based splitting. Every delimiter is ASCII, so slices cut at
/// delimiters of valid UTF-8 remain valid UTF-8 for error messages.
/// O(length of the field text + number of values).
struct CronFieldParser {
    typealias Bytes = ArraySlice<UInt8>

    let field: CronField
    let expression: String

    private static let comma = UInt8(ascii: ","), slash = UInt8(ascii: "/"), dash = UInt8(ascii: "-")
    private static let star = UInt8(ascii: "*"), question = UInt8(ascii: "?"), hash = UInt8(ascii: "#")

    /// Parses `text`, a single whitespace-free field.
    func parse(_ text: Bytes) throws(CronParseError) -> ParsedField {
        var result = ParsedField()
        result.startsWithStar = text.first == Self.star || text.first == Self.question
        var itemStart = text.startIndex
        for index in text.indices where text[index] == Self.comma {
            try parseItem(text[itemStart..<index], into: &result)
            itemStart = index + 1
        }
        try parseItem(text[itemStart...], into: &result)
        return result
    }

    private func parseItem(_ item: Bytes, into result: inout ParsedField) throws(CronParseError) {
        if item.isEmpty {
            throw error(.emptyItem, item, "is an empty list item")
        }
        var base = item
        var step: Int?
        if let slash = item.firstIndex(of: Self.slash) {
            base = item[..<slash]
            step = try parseStep(item[(slash + 1)...])
        }

        if base.count == 1 && (base.first == Self.star || base.first == Self.question) {
            if base.first == Self.question && !field.isDayField {
                throw error(.misplacedSymbol, base, "is only allowed in day-of-month and day-of-week")
            }
            result.bits |= Self.bits(field.starRange, step: step ?? 1)
            return
        }
        if let dash = base.firstIndex(of: Self.dash) {
            let low = try value(base[..<dash])
            let high = try value(base[(dash + 1)...])
            if low > high {
                throw error(.reversedRange, base, "starts after it ends")
            }
            result.bits |= fold(Self.bits(low...high, step: step ?? 1))
            return
        }
        if plainValue(base) == nil, try parseSpecial(base, hasStep: step != nil, into: &result) {
            return
        }
        let start = try value(base)
        if let step {
            let end = max(start, field.starRange.upperBound)
            result.bits |= fold(Self.bits(start...end, step: step))
        } else {
            result.bits |= fold(1 << UInt64(start))
        }
    }

    /// Handles `L` (day-of-month), `nL` and `n#k` (day-of-week). Returns false when `base`
    /// is none of these.
    private func parseSpecial(
        _ base: Bytes, hasStep: Bool, into result: inout ParsedField
    ) throws(CronParseError) -> Bool {
        let isL = base.last == UInt8(ascii: "L") || base.last == UInt8(ascii: "l")
        let hash = base.firstIndex(of: Self.hash)
        guard isL || hash != nil else { return false }
        if hasStep {
            throw error(.misplacedSymbol, base, "cannot take a step")
        }
        switch field.kind {
        case .dayOfMonth where hash == nil:
            guard base.count == 1 else {
                throw error(.misplacedSymbol, base, "is not a day; L must stand alone")
            }
            result.lastDayOfMonth = true
        case .dayOfWeek where hash == nil:
            guard base.count > 1 else {
                throw error(.misplacedSymbol, base, "needs a weekday in day-of-week, e.g. 5L")
            }
            let weekday = try value(base.dropLast()) % 7
            result.lastWeekdays |= 1 << UInt8(weekday)
        case .dayOfWeek:
            let hash = hash!
            let weekday = try value(base[..<hash]) % 7
            let ordinalText = base[(hash + 1)...]
            guard let ordinal = Self.number(ordinalText), (1...5).contains(ordinal) else {
                throw error(.outOfRange, ordinalText, "is not an occurrence 1-5 after #")
            }
            result.nthWeekdays |= 1 << UInt64(weekday * 5 + ordinal - 1)
        default:
            let symbol = hash.map { base[$0...$0] } ?? base.suffix(1)
            throw error(
                .misplacedSymbol, symbol,
                "is only allowed in day-of-month (L) and day-of-week (nL, n#k)")
        }
        return true
    }

    private func parseStep(_ text: Bytes) throws(CronParseError) -> Int {
        guard let step = Self.number(text) else {
            throw error(.invalidStep, text, "is not a step (a number)")
        }
        guard (1...field.maximumStep).contains(step) else {
            throw error(.invalidStep, text, "is outside the step range 1-\(field.maximumStep)")
        }
        return step
    }

    /// A number or a name the field knows, unchecked against bounds; nil otherwise.
    private func plainValue(_ text: Bytes) -> Int? {
        if let number = Self.number(text) {
            return number
        }
        guard let keys = field.nameKeys, let key = CronField.nameKey(text) else { return nil }
        return keys.firstIndex(of: key)
    }

    /// A number or a name, checked against the field's bounds.
    private func value(_ text: Bytes) throws(CronParseError) -> Int {
        guard let value = plainValue(text) else {
            let expected = switch field.kind {
            case .month: "a number or a month name"
            case .dayOfWeek: "a number or a weekday name"
            default: "a number"
            }
            throw error(.invalidValue, text, "is not \(expected)")
        }
        guard field.bounds.contains(value) else {
            throw error(.outOfRange, text, "is outside \(field.bounds.lowerBound)-\(field.bounds.upperBound)")
        }
        return value
    }

    /// Folds day-of-week 7 into 0; other fields unchanged.
    private func fold(_ bits: UInt64) -> UInt64 {
        field.kind == .dayOfWeek && bits & (1 << 7) != 0 ? (bits & ~(1 << 7)) | 1 : bits
    }

    private func error(_ code: CronParseError.Code, _ text: Bytes, _ reason: String) -> CronParseError {
        CronParseError(
            code: code, field: field, text: String(decoding: text, as: UTF8.self), reason: reason,
            expression: expression)
    }

    /// ASCII digits to an `Int`; nil when empty or not all digits. Saturates at 1,000,000 so
    /// that huge numbers are reported as out of range instead of overflowing.
    static func number(_ text: Bytes) -> Int? {
        guard !text.isEmpty else { return nil }
        var result = 0
        for byte in text {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            result = min(result * 10 + Int(byte - 0x30), 1_000_000)
        }
        return result
    }

    /// The bits of `range` stepping by `step` (at least 1) from its lower bound.
    static func bits(_ range: ClosedRange<Int>, step: Int) -> UInt64 {
        var bits: UInt64 = 0
        var value = range.lowerBound
        while value <= range.upperBound {
            bits |= 1 << UInt64(value)
            value += step
        }
        return bits
    }
}
