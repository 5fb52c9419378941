/// Proleptic Gregorian calendar arithmetic on plain integers.
///
/// Why: Foundation's `Calendar` allocates and locks on every call and is far too slow for a
/// scheduler that jumps field by field. Everything here is a handful of integer operations
/// (Howard Hinnant's `days_from_civil` / `civil_from_days`), valid for any year that fits an
/// `Int`, and never touches a time zone: the cron search works on local wall-clock fields
/// and converts to instants separately (see `ZoneOffsets`).
///
/// Day numbers count days since 1970-01-01 (day 0, a Thursday); "wall seconds" are
/// `dayNumber * 86_400 + secondOfDay` in some zone's local time.
///
/// Package access: the command-line tool's strict date parser checks and converts dates
/// with the same arithmetic; it is not part of the Cron library's public API.
package enum CivilCalendar {
    /// Seconds in a civil day (wall-clock days never have leap seconds here).
    package static let secondsPerDay = 86_400

    /// A calendar date.
    struct Date: Hashable, Sendable {
        var year: Int
        /// 1...12
        var month: Int
        /// 1...31
        var day: Int
    }

    /// Local wall-clock fields of a wall-seconds value.
    struct WallClock: Hashable, Sendable {
        var date: Date
        var hour: Int
        var minute: Int
        var second: Int
    }

    /// Whether `year` is a Gregorian leap year. O(1).
    package static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The number of days in `month` (1...12) of `year`. O(1).
    package static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 for a civil date (month 1...12, day 1...31). O(1).
    package static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day number; inverse of `dayNumber(year:month:day:)`. O(1).
    static func date(fromDayNumber dayNumber: Int) -> Date {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return Date(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// The weekday of a day number, 0 = Sunday ... 6 = Saturday. O(1).
    static func weekday(dayNumber: Int) -> Int {
        // Day 0 (1970-01-01) was a Thursday (4).
        let r = (dayNumber + 4) % 7
        return r < 0 ? r + 7 : r
    }

    /// `floor(a / b)` for positive `b` (Swift's `/` truncates toward zero). O(1).
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && a < 0) ? q - 1 : q
    }

    /// Splits wall seconds into civil fields. O(1).
    static func wallClock(wallSeconds: Int) -> WallClock {
        let dayNumber = floorDivide(wallSeconds, secondsPerDay)
        let secondOfDay = wallSeconds - dayNumber * secondsPerDay
        return WallClock(
            date: date(fromDayNumber: dayNumber),
            hour: secondOfDay / 3600,
            minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60
        )
    }

    /// Joins civil fields into wall seconds; inverse of `wallClock(wallSeconds:)`. O(1).
    static func wallSeconds(_ date: Date, hour: Int, minute: Int, second: Int) -> Int {
        dayNumber(year: date.year, month: date.month, day: date.day) * secondsPerDay
            + hour * 3600 + minute * 60 + second
    }
}
