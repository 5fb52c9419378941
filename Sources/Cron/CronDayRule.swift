/// Which days of a month a schedule fires on: the day-of-month and day-of-week fields and
/// the crontab(5) rule that combines them.
///
/// The rule: when both day fields are restricted (neither text starts with `*` or `?`), a
/// day matches if either field matches; otherwise both must match. So `0 0 1-7 * 1` fires
/// on the first seven days and on every Monday, while `0 0 */10 * 1` fires on days 1, 11,
/// 21 and 31 that are also Mondays.
///
/// Days are answered a month at a time as a bit set (bit `d` = day `d`), so the search can
/// jump straight to the next matching day with one `trailingZeroBitCount`.
struct CronDayRule: Hashable, Sendable {
    /// Day-of-month values, bits 1-31.
    var daysOfMonth: UInt64
    /// Day-of-month `L`.
    var lastDayOfMonth: Bool
    /// Whether the day-of-month text starts with `*` or `?` (unrestricted for the rule).
    var dayOfMonthIsStar: Bool
    /// Day-of-week values, bits 0-6 (0 = Sunday).
    var weekdays: UInt64
    /// Day-of-week `nL`: bit `n` set.
    var lastWeekdays: UInt8
    /// Day-of-week `n#k`: bit `n * 5 + k - 1` set.
    var nthWeekdays: UInt64
    /// Whether the day-of-week text starts with `*` or `?`.
    var dayOfWeekIsStar: Bool

    init(dayOfMonth: ParsedField, dayOfWeek: ParsedField) {
        daysOfMonth = dayOfMonth.bits
        lastDayOfMonth = dayOfMonth.lastDayOfMonth
        dayOfMonthIsStar = dayOfMonth.startsWithStar
        weekdays = dayOfWeek.bits
        lastWeekdays = dayOfWeek.lastWeekdays
        nthWeekdays = dayOfWeek.nthWeekdays
        dayOfWeekIsStar = dayOfWeek.startsWithStar
    }

    /// True when a day matching either field is enough (both fields restricted).
    var combinesWithOr: Bool { !dayOfMonthIsStar && !dayOfWeekIsStar }

    /// The matching days of a month as bits 1...31. O(1) plus one step per `nL`/`n#k` item.
    func matchingDays(year: Int, month: Int) -> UInt64 {
        let first = CivilCalendar.dayNumber(year: year, month: month, day: 1)
        return matchingDays(
            length: CivilCalendar.daysInMonth(year: year, month: month),
            firstWeekday: CivilCalendar.weekday(dayNumber: first))
    }

    /// The matching days of a month of `length` days whose first day is `firstWeekday`
    /// (0 = Sunday), as bits 1...length.
    func matchingDays(length: Int, firstWeekday: Int) -> UInt64 {
        let valid: UInt64 = ((1 << UInt64(length + 1)) - 1) & ~1
        var byMonthDay = daysOfMonth & valid
        if lastDayOfMonth {
            byMonthDay |= 1 << UInt64(length)
        }

        // Rotate so that bit j means "weekday of day j + 1 is in the set", then repeat the
        // 7-bit pattern five times (no carries: the copies do not overlap).
        let shift = UInt64(firstWeekday)
        let rotated = ((weekdays >> shift) | (weekdays << (7 - shift))) & 0x7F
        var byWeekday = (rotated &* 0x1020_4081) << 1 & valid

        var rest = lastWeekdays
        let lastWeekday = (firstWeekday + length - 1) % 7
        while rest != 0 {
            let weekday = rest.trailingZeroBitCount
            rest &= rest - 1
            byWeekday |= 1 << UInt64(length - (lastWeekday - weekday + 7) % 7)
        }
        var nth = nthWeekdays
        while nth != 0 {
            let index = nth.trailingZeroBitCount
            nth &= nth - 1
            let day = 1 + (index / 5 - firstWeekday + 7) % 7 + 7 * (index % 5)
            if day <= length {
                byWeekday |= 1 << UInt64(day)
            }
        }
        return combinesWithOr ? byMonthDay | byWeekday : byMonthDay & byWeekday
    }

    /// Whether some day of some allowed month (bits 1-12 of `months`) ever matches.
    ///
    /// Over the 400-year Gregorian cycle every month, leap or not, starts on every weekday,
    /// so it is enough to try each month length with each first weekday. O(months × 7)
    /// in the worst case; typical schedules succeed on the first try.
    func canMatch(months: UInt64) -> Bool {
        var rest = months
        while rest != 0 {
            let month = rest.trailingZeroBitCount
            rest &= rest - 1
            let lengths = month == 2 ? [29, 28] : [CivilCalendar.daysInMonth(year: 2001, month: month)]
            for length in lengths {
                for firstWeekday in 0..<7 where matchingDays(length: length, firstWeekday: firstWeekday) != 0 {
                    return true
                }
            }
        }
        return false
    }
}
