import BSON

/// The delays between retries of a store call that keeps failing: exponential from ``initial``,
/// capped at ``maximum``, each shortened by a random share of at most ``jitter`` so that
/// workers that lost the database together do not all retry in step when it comes back.
///
/// A value type that decides and does no I/O: the caller passes the random draw in, so tests
/// pin every delay.
struct RetryBackoff: Sendable, Equatable {
    /// The delay after the first failure (before jitter).
    let initial: Duration
    /// The longest delay, however many failures.
    let maximum: Duration
    /// The largest share of a delay that jitter removes, in 0...1.
    let jitter: Double
    /// Failures since the last success.
    private(set) var failures = 0

    /// The product's defaults: 100 ms, doubling up to 5 s, jitter up to a quarter.
    static let store = RetryBackoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.25)

    init(initial: Duration, maximum: Duration, jitter: Double) {
        precondition(initial > .zero && maximum >= initial && (0...1).contains(jitter), "invalid back-off")
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// Whether the last call failed.
    var isFailing: Bool { failures > 0 }

    /// Records a failure and returns how long to wait before the next try. `random` is a draw
    /// in `0..<1` (``Double/random(in:)`` in production). Never traps, however many failures.
    mutating func failed(random: Double) -> Duration {
        let doublings = min(failures, 40)  // 2^40 × any sane initial is past any maximum
        failures += 1
        let grown = initial.timeInterval * Double(1 << UInt64(doublings))
        let capped = min(grown, maximum.timeInterval)
        let share = 1 - jitter * min(max(random, 0), 1)
        return .nanoseconds(Int64((capped * share * 1e9).rounded()))
    }

    /// Records a success: the next failure starts again from ``initial``.
    mutating func succeeded() { failures = 0 }
}
