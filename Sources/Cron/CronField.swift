/// One field of a cron expression (or the expression as a whole), as named in parse errors.
///
/// Why a struct with static members rather than a public enum: new fields (a year field,
/// say) can be added without breaking code that switches over them. The name is the
/// crontab(5) spelling (`day-of-month`), which is what error messages show.
public struct CronField: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case expression, second, minute, hour, dayOfMonth, month, dayOfWeek
    }

    let kind: Kind

    /// The optional leading seconds field, 0-59 (six-field expressions only).
    public static let second = CronField(kind: .second)
    /// The minute field, 0-59.
    public static let minute = CronField(kind: .minute)
    /// The hour field, 0-23.
    public static let hour = CronField(kind: .hour)
    /// The day-of-month field, 1-31, plus `L` (last day of the month) and `?`.
    public static let dayOfMonth = CronField(kind: .dayOfMonth)
    /// The month field, 1-12 or `JAN`-`DEC`.
    public static let month = CronField(kind: .month)
    /// The day-of-week field, 0-7 (0 and 7 are Sunday) or `SUN`-`SAT`, plus `nL`, `n#k`, `?`.
    public static let dayOfWeek = CronField(kind: .dayOfWeek)
    /// The expression as a whole: field count, macros, and schedules that can never fire.
    public static let expression = CronField(kind: .expression)

    /// The crontab(5) name of the field, e.g. `day-of-month`. O(1).
    public var name: String {
        switch kind {
        case .expression: "expression"
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    /// Same as `name`.
    public var description: String { name }

    /// The values the field accepts as numbers (day-of-week accepts 7 for Sunday).
    var bounds: ClosedRange<Int> {
        switch kind {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        case .expression: 0...0
        }
    }

    /// The values `*` stands for (day-of-week: 0-6, Sunday once).
    var starRange: ClosedRange<Int> {
        kind == .dayOfWeek ? 0...6 : bounds
    }

    /// The largest step accepted: the number of distinct values (`*/60` in minutes is `0`).
    var maximumStep: Int { starRange.count }

    /// Whether `?` (read as `*`) is allowed: only in the two day fields.
    var isDayField: Bool { kind == .dayOfMonth || kind == .dayOfWeek }

    /// Three-letter names, index = value, for the fields that have them, packed as
    /// upper-case ASCII in a `UInt32` (see `nameKey`) so lookups allocate nothing.
    var nameKeys: [UInt32]? {
        switch kind {
        case .month: Self.monthKeys
        case .dayOfWeek: Self.weekdayKeys
        default: nil
        }
    }

    private static let monthKeys = ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
                                    "NOV", "DEC"].map { nameKey(Array($0.utf8)[...]) ?? 0 }
    private static let weekdayKeys = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        .map { nameKey(Array($0.utf8)[...]) ?? 0 }

    /// Three ASCII letters, upper-cased and packed into a `UInt32`; nil for anything else.
    static func nameKey(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        guard bytes.count == 3 else { return nil }
        var key: UInt32 = 0
        for byte in bytes {
            let upper = byte & ~0x20
            guard upper >= 0x41 && upper <= 0x5A else { return nil }
            key = key << 8 | UInt32(upper)
        }
        return key
    }
}
