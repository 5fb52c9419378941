/// A point in time on a loop's clock: a count of nanoseconds since the clock's origin.
///
/// For ``MonotonicClock`` the origin is the kernel's `CLOCK_MONOTONIC` origin (boot), which is
/// what the loop's kernel timer is armed on; for ``ManualClock`` it is whatever the test chose.
/// Instants of different clocks must not be compared. An `Int64` of nanoseconds covers ±292
/// years, and all arithmetic saturates instead of trapping, so "far future" deadlines such as
/// `now + .seconds(Int64.max)` are safe.
public struct LoopInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the clock's origin.
    public var nanoseconds: Int64

    /// The instant `nanoseconds` after the clock's origin.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The latest representable instant: a deadline that is never reached.
    public static let distantFuture = LoopInstant(nanoseconds: .max)

    /// Orders instants by time.
    public static func < (lhs: LoopInstant, rhs: LoopInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// The instant `duration` after `instant` (saturating at the representable range).
    public static func + (instant: LoopInstant, duration: Duration) -> LoopInstant {
        LoopInstant(nanoseconds: instant.nanoseconds.saturatingAdd(duration.saturatingNanoseconds))
    }

    /// The instant `duration` before `instant` (saturating at the representable range).
    public static func - (instant: LoopInstant, duration: Duration) -> LoopInstant {
        LoopInstant(nanoseconds: instant.nanoseconds.saturatingSubtract(duration.saturatingNanoseconds))
    }

    /// Moves `instant` forward by `duration`.
    public static func += (instant: inout LoopInstant, duration: Duration) {
        instant = instant + duration
    }

    /// The time from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: LoopInstant, rhs: LoopInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds.saturatingSubtract(rhs.nanoseconds))
    }

    /// `"<nanoseconds>ns"`.
    public var description: String {
        "\(nanoseconds)ns"
    }
}

extension Duration {
    /// The duration in whole nanoseconds, truncated toward zero and clamped to `Int64`.
    var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (wholeSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            return seconds < 0 ? .min : .max
        }
        return wholeSeconds.saturatingAdd(attoseconds / 1_000_000_000)
    }
}

extension Int64 {
    /// `self + other`, clamped to `Int64.min ... Int64.max` instead of trapping.
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }

    /// `self - other`, clamped to `Int64.min ... Int64.max` instead of trapping.
    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }
}
