import Foundation

/// Conversions between `Date` and BSON's dates (signed 64-bit milliseconds since 1970), used by
/// the BSON reader and writer, extended JSON and the SQLite store alike.
///
/// Rules, and why:
/// - Total: every `Int64` gives a date and every `Date` (infinite, NaN and huge ones included)
///   gives milliseconds, clamped to the `Int64` range (NaN gives 0), because a value read from
///   a store or built by a caller must never trap a worker.
/// - The date of a millisecond is `Date(timeIntervalSince1970: Double(milliseconds) / 1000)`,
///   the formula the rest of the code and its tests use to cut an instant to what a store
///   keeps, so that a date computed that way equals the one read back.
/// - Exact: milliseconds read and written back come back unchanged wherever that `Date` (a
///   `Double` of seconds since 2001) tells adjacent milliseconds apart: everything within about
///   ±139,000 years of 1970 (±4.39 × 10^15 ms), far beyond years 1 to 9999.
/// - Stable everywhere: beyond that range several milliseconds share one `Date`, and a date is
///   written as the last of them, so that reading and writing again changes nothing more.
/// - A date between two milliseconds is rounded down to the earlier one, as BSON stores it.
extension Date {
    /// The instant `milliseconds` after 1970-01-01T00:00:00Z (before it when negative).
    /// Non-decreasing in `milliseconds`. Complexity: O(1).
    package init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// The last millisecond since 1970 whose date (as `init(millisecondsSince1970:)` gives it)
    /// is not after this one, clamped to the `Int64` range; 0 for a NaN date. Complexity: O(1).
    package var millisecondsSince1970: Int64 {
        let estimate = timeIntervalSince1970 * 1000
        guard !estimate.isNaN else { return 0 }
        // 2^63 is the first Double beyond Int64.max; -2^63 is Int64.min itself.
        guard estimate < 9_223_372_036_854_775_808.0 else { return .max }
        guard estimate >= -9_223_372_036_854_775_808.0 else { return .min }
        var milliseconds = Int64(estimate.rounded(.down))
        if abs(estimate) < 9_007_199_254_740_992.0 {
            // Within 2^53 the estimate (three roundings) is at most a millisecond or two off:
            // usually two comparisons confirm it.
            var steps = 0
            while steps < 4, Date(millisecondsSince1970: milliseconds) > self {
                milliseconds -= 1
                steps += 1
            }
            while steps < 8, Date(millisecondsSince1970: milliseconds + 1) <= self {
                milliseconds += 1
                steps += 1
            }
            return milliseconds
        }
        // Beyond, the estimate can be a few thousand milliseconds off and as many share one
        // date: search a window around it, clamped to the Int64 range.
        let window: Int64 = 1 << 14
        var low = milliseconds < .min + window ? .min : milliseconds - window
        var high = milliseconds > .max - window ? .max : milliseconds + window
        guard Date(millisecondsSince1970: low) <= self else { return low }
        while low < high {
            let middle = low + (high - low + 1) / 2
            if Date(millisecondsSince1970: middle) <= self { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
