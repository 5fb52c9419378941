/// A parsed cron schedule: 5 fields (minute hour day-of-month month day-of-week) or 6 with
/// a leading seconds field, or one of the `@` macros.
///
/// Why a value type: schedules are stored in jobs, compared, hashed and passed between
/// threads; the expression holds only bit sets and flags, so it is `Sendable`, cheap to
/// copy, and two expressions are equal exactly when they describe the same fields.
///
/// Syntax: `*`, lists, ranges, steps (`*/n`, `a-b/n`, `a/n`), month and weekday names in
/// any case, 0 and 7 both Sunday, `?` as `*` in the day fields, `L` (last day of the month)
/// in day-of-month, `nL` (last weekday n of the month) and `n#k` (k-th weekday n) in
/// day-of-week. Day-of-month and day-of-week combine by the crontab(5) rule (see
/// `next(after:in:)`). `description` prints a canonical form that parses back to an equal
/// value. An expression that can never fire (`0 0 30 2 *`) is rejected.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// Second values, bits 0-59 (bit 0 only for five-field expressions).
    let seconds: UInt64
    /// Minute values, bits 0-59.
    let minutes: UInt64
    /// Hour values, bits 0-23.
    let hours: UInt64
    /// Whether the hour text starts with `*` (`*`, `*/n`): such schedules fire at every real
    /// occurrence of a repeated local time; fixed-hour schedules fire at the first only.
    let hourIsStar: Bool
    /// Month values, bits 1-12.
    let months: UInt64
    /// Day-of-month, day-of-week and how they combine.
    let days: CronDayRule

    /// The macros and the five fields each stands for.
    static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
        "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
        "@hourly": "0 * * * *",
    ]

    /// Parses a cron expression.
    ///
    /// Fields are separated by ASCII whitespace; leading and trailing whitespace is ignored.
    /// Throws a `CronParseError` naming the field, the offending text and the reason, e.g.
    /// `day-of-month: 32 is outside 1-31 in "0 0 32 * *"`. Never crashes, whatever the
    /// input. O(length of `text`).
    public init(_ text: String) throws(CronParseError) {
        var fields = Self.fields(of: Array(text.utf8)[...])
        if fields.count == 1, fields[0].first == UInt8(ascii: "@") {
            let name = String(decoding: fields[0], as: UTF8.self)
            guard let expansion = Self.macros[name.lowercased()] else {
                throw CronParseError(
                    code: .unknownMacro, field: .expression, text: name,
                    reason: "is not a macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)",
                    expression: text)
            }
            fields = Self.fields(of: Array(expansion.utf8)[...])
        }
        guard fields.count == 5 || fields.count == 6 else {
            throw CronParseError(
                code: .fieldCount, field: .expression, text: text,
                reason: "has \(fields.count) fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)",
                expression: text)
        }
        let hasSeconds = fields.count == 6
        let offset = hasSeconds ? 1 : 0
        func parse(_ field: CronField, _ index: Int) throws(CronParseError) -> ParsedField {
            try CronFieldParser(field: field, expression: text).parse(fields[index + offset])
        }
        seconds = hasSeconds ? try parse(.second, -1).bits : 1
        minutes = try parse(.minute, 0).bits
        let hour = try parse(.hour, 1)
        hours = hour.bits
        hourIsStar = hour.startsWithStar
        let dayOfMonth = try parse(.dayOfMonth, 2)
        months = try parse(.month, 3).bits
        let dayOfWeek = try parse(.dayOfWeek, 4)
        days = CronDayRule(dayOfMonth: dayOfMonth, dayOfWeek: dayOfWeek)

        guard days.canMatch(months: months) else {
            let blame: (CronField, ArraySlice<UInt8>) = days.dayOfWeekIsStar
                ? (.dayOfMonth, fields[2 + offset]) : (.dayOfWeek, fields[4 + offset])
            throw CronParseError(
                code: .neverFires, field: blame.0, text: String(decoding: blame.1, as: UTF8.self),
                reason: "never matches a day of the allowed months, so the schedule can never fire",
                expression: text)
        }
    }

    /// Splits UTF-8 bytes at runs of ASCII whitespace. O(bytes).
    private static func fields(of bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var start: Int?
        for index in bytes.indices {
            let byte = bytes[index]
            let isSpace = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
            if isSpace, let first = start {
                fields.append(bytes[first..<index])
                start = nil
            } else if !isSpace && start == nil {
                start = index
            }
        }
        if let first = start {
            fields.append(bytes[first...])
        }
        return fields
    }
}
