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
/// Why hand-written over the UTF-8 bytes: the parser must never crash or hang on any input
/// (it is fuzzed with 100k random strings) and is cheap enough to run on every schedule load.
/// O(length of the field text + number of values).
struct CronFieldParser {
    let field: CronField
    let expression: String

    /// Parses `text`, a single whitespace-free field.
    func parse(_ text: Substring) throws(CronParseError) -> ParsedField {
        var result = ParsedField()
        result.startsWithStar = text.first == "*" || text.first == "?"
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            try parseItem(item, into: &result)
        }
        return result
    }

    private func parseItem(_ item: Substring, into result: inout ParsedField) throws(CronParseError) {
        if item.isEmpty {
            throw error(.emptyItem, "", "is an empty list item")
        }
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        let step = parts.count == 2 ? try parseStep(parts[1]) : nil

        if base == "*" || base == "?" {
            if base == "?" && !field.isDayField {
                throw error(.misplacedSymbol, "?", "is only allowed in day-of-month and day-of-week")
            }
            result.bits |= Self.bits(field.starRange, step: step ?? 1)
            return
        }
        if let dash = base.firstIndex(of: "-") {
            let low = try value(base[..<dash])
            let high = try value(base[base.index(after: dash)...])
            if low > high {
                throw error(.reversedRange, String(base), "starts after it ends")
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
        _ base: Substring, hasStep: Bool, into result: inout ParsedField
    ) throws(CronParseError) -> Bool {
        let isL = base.last == "L" || base.last == "l"
        let hash = base.firstIndex(of: "#")
        guard isL || hash != nil else { return false }
        let symbol = hash == nil ? "L" : "#"
        if hasStep {
            throw error(.misplacedSymbol, String(base), "cannot take a step")
        }
        switch field.kind {
        case .dayOfMonth where hash == nil:
            guard base.count == 1 else {
                throw error(.misplacedSymbol, String(base), "is not a day; L must stand alone")
            }
            result.lastDayOfMonth = true
        case .dayOfWeek where hash == nil:
            guard base.count > 1 else {
                throw error(.misplacedSymbol, "L", "needs a weekday in day-of-week, e.g. 5L")
            }
            let weekday = try value(base.dropLast()) % 7
            result.lastWeekdays |= 1 << UInt8(weekday)
        case .dayOfWeek:
            let weekday = try value(base[..<hash!]) % 7
            let ordinalText = base[base.index(after: hash!)...]
            guard let ordinal = Self.number(ordinalText), (1...5).contains(ordinal) else {
                throw error(.outOfRange, String(ordinalText), "is not an occurrence 1-5 after #")
            }
            result.nthWeekdays |= 1 << UInt64(weekday * 5 + ordinal - 1)
        default:
            throw error(
                .misplacedSymbol, symbol,
                "is only allowed in day-of-month (L) and day-of-week (nL, n#k)")
        }
        return true
    }

    private func parseStep(_ text: Substring) throws(CronParseError) -> Int {
        guard let step = Self.number(text) else {
            throw error(.invalidStep, text.isEmpty ? "" : String(text), "is not a step (a number)")
        }
        guard (1...field.maximumStep).contains(step) else {
            throw error(.invalidStep, String(text), "is outside the step range 1-\(field.maximumStep)")
        }
        return step
    }

    /// A number or a name the field knows, unchecked against bounds; nil otherwise.
    private func plainValue(_ text: Substring) -> Int? {
        if let number = Self.number(text) {
            return number
        }
        guard let names = field.names, text.utf8.count == 3 else { return nil }
        return names.firstIndex(of: text.uppercased())
    }

    /// A number or a name, checked against the field's bounds.
    private func value(_ text: Substring) throws(CronParseError) -> Int {
        if let number = Self.number(text) {
            guard field.bounds.contains(number) else {
                let bounds = "\(field.bounds.lowerBound)-\(field.bounds.upperBound)"
                throw error(.outOfRange, String(text), "is outside \(bounds)")
            }
            return number
        }
        if let names = field.names, text.utf8.count == 3,
           let index = names.firstIndex(of: text.uppercased()) {
            return index
        }
        let expected = field.names == nil
            ? "a number" : "a number or a \(field.kind == .month ? "month" : "weekday") name"
        throw error(.invalidValue, text.isEmpty ? "" : String(text), "is not \(expected)")
    }

    /// Folds day-of-week 7 into 0; other fields unchanged.
    private func fold(_ bits: UInt64) -> UInt64 {
        field.kind == .dayOfWeek && bits & (1 << 7) != 0 ? (bits & ~(1 << 7)) | 1 : bits
    }

    private func error(_ code: CronParseError.Code, _ text: String, _ reason: String) -> CronParseError {
        CronParseError(code: code, field: field, text: text, reason: reason, expression: expression)
    }

    /// ASCII digits to an `Int`; nil when empty or not all digits. Saturates at 1,000,000 so
    /// that huge numbers are reported as out of range instead of overflowing.
    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty else { return nil }
        var result = 0
        for byte in text.utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            result = min(result * 10 + Int(byte - 0x30), 1_000_000)
        }
        return result
    }

    /// The bits of `range` stepping by `step` from its lower bound.
    static func bits(_ range: ClosedRange<Int>, step: Int) -> UInt64 {
        var bits: UInt64 = 0
        for value in stride(from: range.lowerBound, through: range.upperBound, by: step) {
            bits |= 1 << UInt64(value)
        }
        return bits
    }
}
