extension CronExpression {
    /// The canonical text of the expression, which parses back to an equal value.
    ///
    /// Five fields when the seconds field is just `0`, six otherwise; numbers instead of
    /// names; macros expanded; `?` printed as `*`. Fields whose text started with `*` (which
    /// matters for the hour field and the day rule) start with `*` again, e.g. `*/10` or
    /// `*/10,L`; other fields are compressed to ranges (`1-5,9`) or one progression (`0-22/2`),
    /// and plain `*` / `*/n` wherever the star does not change the meaning. Equal expressions
    /// print the same text. O(number of values).
    public var description: String {
        var fields: [String] = []
        if seconds != 1 {
            fields.append(Self.format(seconds, .second))
        }
        fields.append(Self.format(minutes, .minute))
        fields.append(Self.format(hours, .hour, star: hourIsStar))
        fields.append(Self.format(
            days.daysOfMonth, .dayOfMonth, star: days.dayOfMonthIsStar,
            extras: days.lastDayOfMonth ? ["L"] : []))
        fields.append(Self.format(months, .month))
        fields.append(Self.format(
            days.weekdays, .dayOfWeek, star: days.dayOfWeekIsStar, extras: weekdayExtras))
        return fields.joined(separator: " ")
    }

    /// `nL` and `n#k` items in a fixed order.
    private var weekdayExtras: [String] {
        var extras: [String] = []
        for weekday in 0..<7 where days.lastWeekdays & (1 << UInt8(weekday)) != 0 {
            extras.append("\(weekday)L")
        }
        for index in 0..<35 where days.nthWeekdays & (1 << UInt64(index)) != 0 {
            extras.append("\(index / 5)#\(index % 5 + 1)")
        }
        return extras
    }

    /// Formats one field.
    ///
    /// - Parameter star: nil for fields where a leading `*` means nothing beyond its values
    ///   (second, minute, month); otherwise whether the text must start with `*`.
    private static func format(
        _ bits: UInt64, _ field: CronField, star: Bool? = nil, extras: [String] = []
    ) -> String {
        let range = field.starRange
        let full = CronFieldParser.bits(range, step: 1)
        var items: [String] = []
        switch star {
        case nil:
            if let step = starStep(bits, range: range, exact: true) {
                items.append(step == 1 ? "*" : "*/\(step)")
            } else {
                items += list(bits)
            }
        case true?:
            // Star fields always hold the lower bound (`*/n` starts there), so some step,
            // at worst the one that yields the lower bound alone, is a subset.
            let step = bits == full ? 1 : (starStep(bits, range: range, exact: false) ?? range.count)
            items.append(step == 1 ? "*" : "*/\(step)")
            items += list(bits & ~CronFieldParser.bits(range, step: step))
        case false?:
            items += list(bits)
        }
        return (items + extras).joined(separator: ",")
    }

    /// With `exact`, the step `n` for which `*/n` yields exactly `bits` (at least two values,
    /// so a lone `0` stays `0`); otherwise the smallest `n >= 2` whose `*/n` values are all in
    /// `bits`. `1` when `bits` is the full range.
    private static func starStep(_ bits: UInt64, range: ClosedRange<Int>, exact: Bool) -> Int? {
        for step in 1...range.count {
            let candidate = CronFieldParser.bits(range, step: step)
            let fits = exact ? candidate == bits && (step == 1 || candidate.nonzeroBitCount > 1)
                : step > 1 && candidate & ~bits == 0
            if fits {
                return step
            }
        }
        return nil
    }

    /// Values as a comma list of runs (`1-5,9`), or one progression (`0-22/2`) when the
    /// values are at least three evenly spaced more than one apart.
    private static func list(_ bits: UInt64) -> [String] {
        var values: [Int] = []
        var rest = bits
        while rest != 0 {
            values.append(rest.trailingZeroBitCount)
            rest &= rest - 1
        }
        if values.count >= 3 {
            let step = values[1] - values[0]
            if step > 1 && zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                return ["\(values[0])-\(values[values.count - 1])/\(step)"]
            }
        }
        var items: [String] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count && values[end + 1] == values[end] + 1 {
                end += 1
            }
            items.append(end == index ? "\(values[index])" : "\(values[index])-\(values[end])")
            index = end + 1
        }
        return items
    }
}
