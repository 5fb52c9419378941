import Cron
import Foundation

/// Strict RFC 3339 date-times for the command line (`enqueue --at`, `cron next --from`):
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
///
/// Rules, each with its reason:
/// - Exactly RFC 3339's `date-time` (section 5.6): a four-digit year and two-digit fields, `T`
///   (or `t`, or a space, which the RFC allows for readability) between date and time, `Z` or
///   `z` for UTC. A lenient parser turns typos into other dates: Foundation's
///   `ISO8601DateFormatter` reads `2026-02-30` as March 2.
/// - Real calendar dates (proleptic Gregorian): February 29 only in leap years, no day 31 in
///   a 30-day month, hours 00-23, minutes and seconds 00-59.
/// - No leap second (second 60): the stores keep Unix time, which has none, and RFC 3339 lets
///   a receiver refuse one it cannot represent.
/// - Years 0001-9999, and the instant itself (after the offset) within
///   0001-01-01T00:00:00Z ... 9999-12-31T23:59:59Z: the dates MongoDB and both stores accept.
/// - Offsets at most ±14:00 (the widest in use, Kiribati's +14:00) with minutes 00-59;
///   `-00:00` (RFC 3339's "offset unknown") is read as UTC.
/// - A fraction of any length; digits past nanoseconds are dropped (the stores keep
///   milliseconds).
///
/// Each refusal names the field and the reason, e.g. "February 2026 has 28 days".
/// O(length of the text); no Foundation date parsing.
enum RFC3339Parser {
    /// Why a text was refused, phrased to follow the text and a colon.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let example = "2026-11-29T12:00:00Z"
    /// The widest offset accepted, in minutes.
    static let maximumOffsetMinutes = 14 * 60

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// The instant `text` names. Throws a ``Failure`` naming the field that is wrong.
    static func parse(_ text: String) throws(Failure) -> Date {
        var reader = Reader(bytes: Array(text.utf8))
        let year = try reader.number(4, "the year")
        try reader.expect("-", "after the year")
        let month = try reader.number(2, "the month")
        try reader.expect("-", "after the month")
        let day = try reader.number(2, "the day")
        guard reader.skip(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") || $0 == UInt8(ascii: " ") }) else {
            throw reader.layout("\"T\" must separate the date from the time")
        }
        let hour = try reader.number(2, "the hour")
        try reader.expect(":", "after the hour")
        let minute = try reader.number(2, "the minute")
        try reader.expect(":", "after the minute")
        let second = try reader.number(2, "the second")
        var nanoseconds = 0
        if reader.skip(where: { $0 == UInt8(ascii: ".") }) {
            nanoseconds = try reader.fraction()
        }
        let offsetMinutes = try reader.offset()
        guard reader.atEnd else {
            throw Failure(description: "unexpected \(UserText.quoted(reader.rest)) after the time zone offset")
        }

        try checkDate(year: year, month: month, day: day)
        guard hour <= 23 else { throw Failure(description: "hour \(twoDigits(hour)) does not exist (00-23)") }
        guard minute <= 59 else { throw Failure(description: "minute \(twoDigits(minute)) does not exist (00-59)") }
        if second == 60 {
            throw Failure(description: "second 60 (a leap second) is not accepted: the stores keep time without leap seconds")
        }
        guard second <= 59 else { throw Failure(description: "second \(twoDigits(second)) does not exist (00-59)") }

        let local = CivilCalendar.dayNumber(year: year, month: month, day: day) * CivilCalendar.secondsPerDay
            + hour * 3600 + minute * 60 + second
        let instant = local - offsetMinutes * 60
        let earliest = CivilCalendar.dayNumber(year: 1, month: 1, day: 1) * CivilCalendar.secondsPerDay
        let latest = CivilCalendar.dayNumber(year: 9999, month: 12, day: 31) * CivilCalendar.secondsPerDay + 86_399
        guard instant >= earliest else { throw Failure(description: "names an instant before 0001-01-01T00:00:00Z, the earliest accepted") }
        guard instant <= latest else { throw Failure(description: "names an instant after 9999-12-31T23:59:59Z, the latest accepted") }
        return Date(timeIntervalSince1970: Double(instant) + Double(nanoseconds) / 1e9)
    }

    private static func checkDate(year: Int, month: Int, day: Int) throws(Failure) {
        guard year >= 1 else { throw Failure(description: "year 0000 does not exist (0001-9999)") }
        guard (1...12).contains(month) else { throw Failure(description: "month \(twoDigits(month)) does not exist (01-12)") }
        guard day >= 1 else { throw Failure(description: "day 00 does not exist") }
        let length = CivilCalendar.daysInMonth(year: year, month: month)
        guard day <= length else {
            throw Failure(description: "\(monthNames[month - 1]) \(year) has \(length) days")
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// A cursor over the text's UTF-8 bytes.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }
        var rest: String { String(decoding: bytes[index...], as: UTF8.self) }

        /// A layout mistake: what was expected, and the shape of a good date-time.
        func layout(_ expected: String) -> Failure {
            Failure(description: "\(expected), as in \(RFC3339Parser.example) or 2026-11-29T13:00:00+01:00")
        }

        /// Exactly `count` ASCII digits.
        mutating func number(_ count: Int, _ field: String) throws(Failure) -> Int {
            guard index + count <= bytes.count else { throw layout("\(field) must be \(count) digits") }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { throw layout("\(field) must be \(count) digits") }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }

        mutating func expect(_ character: Unicode.Scalar, _ place: String) throws(Failure) {
            guard skip(where: { $0 == UInt8(ascii: character) }) else {
                throw layout("expected \"\(character)\" \(place)")
            }
        }

        /// Skips one byte if it satisfies `accepts`; tells whether it did.
        mutating func skip(where accepts: (UInt8) -> Bool) -> Bool {
            guard index < bytes.count, accepts(bytes[index]) else { return false }
            index += 1
            return true
        }

        /// The digits after the decimal point, as nanoseconds (later digits dropped).
        mutating func fraction() throws(Failure) -> Int {
            var nanoseconds = 0
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30 && bytes[index] <= 0x39 {
                if digits < 9 { nanoseconds = nanoseconds * 10 + Int(bytes[index] - 0x30) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { throw layout("the fraction of a second needs digits after \".\"") }
            for _ in digits..<max(digits, 9) { nanoseconds *= 10 }
            return nanoseconds
        }

        /// `Z`, `z` or `±HH:MM`, as minutes east of UTC.
        mutating func offset() throws(Failure) -> Int {
            if skip(where: { $0 == UInt8(ascii: "Z") || $0 == UInt8(ascii: "z") }) { return 0 }
            let sign: Int
            if skip(where: { $0 == UInt8(ascii: "+") }) {
                sign = 1
            } else if skip(where: { $0 == UInt8(ascii: "-") }) {
                sign = -1
            } else {
                throw layout("a time zone offset (Z, +HH:MM or -HH:MM) must follow the time")
            }
            let start = index - 1
            let hours = try number(2, "the offset's hours")
            try expect(":", "between the offset's hours and minutes")
            let minutes = try number(2, "the offset's minutes")
            let shown = String(decoding: bytes[start..<index], as: UTF8.self)
            guard minutes <= 59 else { throw Failure(description: "offset \(shown): minute \(minutes) does not exist (00-59)") }
            let total = hours * 60 + minutes
            guard total <= RFC3339Parser.maximumOffsetMinutes else {
                throw Failure(description: "offset \(shown) is beyond ±14:00, the widest in use")
            }
            return sign * total
        }
    }
}
