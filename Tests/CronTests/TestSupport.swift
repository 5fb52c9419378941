import Foundation
@testable import Cron

/// RFC 3339 text with the zone's offset at the instant, e.g. `2026-03-29T03:00:00+02:00`,
/// built from the module's own civil arithmetic so tests read like the CLI output.
func rfc3339(_ date: Date, in zone: TimeZone) -> String {
    let seconds = Int(date.timeIntervalSince1970.rounded(.down))
    let offset = zone.secondsFromGMT(for: date)
    let clock = CivilCalendar.wallClock(wallSeconds: seconds + offset)
    func pad(_ value: Int, _ width: Int = 2) -> String {
        let text = String(abs(value))
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    let sign = offset < 0 ? "-" : "+"
    return "\(pad(clock.date.year, 4))-\(pad(clock.date.month))-\(pad(clock.date.day))"
        + "T\(pad(clock.hour)):\(pad(clock.minute)):\(pad(clock.second))"
        + "\(sign)\(pad(abs(offset) / 3600)):\(pad(abs(offset) / 60 % 60))"
}

/// Parses RFC 3339 text such as `2026-03-29T00:30:00+01:00` or `2026-01-01T00:00:00Z`.
func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    guard let date = formatter.date(from: text) else {
        preconditionFailure("bad RFC 3339 text in a test: \(text)")
    }
    return date
}

/// A zone that must exist in tzdata.
func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else {
        preconditionFailure("unknown zone in a test: \(identifier)")
    }
    return zone
}

/// The next `count` firing times of `expression` after `from`, as RFC 3339 text in `zoneName`.
func occurrences(
    _ expression: String, in zoneName: String = "UTC", from: String, count: Int = 5
) throws -> [String] {
    let tz = zone(zoneName)
    return try CronExpression(expression).next(after: instant(from), in: tz, count: count)
        .map { rfc3339($0, in: tz) }
}

/// A small, fast, seedable generator (SplitMix64) so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
