import Loop
import BSON

/// When queued endings go to the store: at once, or after a short wait for the endings of
/// handlers still running (group commit with a bounded delay, as Nagle's algorithm does for
/// small packets).
///
/// Why: endings and the claim that refills their slots go in one store call, and one call at a
/// time. Without waiting, the first handler of a batch to end is written alone, the rest of
/// its batch end during that call and go in the next: a worker whose 16 handlers end together
/// then alternates calls of 1 and 15 jobs, and stays split that way (perf/README.md has the
/// figures). Waiting a little for the others keeps them in one
/// call, and so one transaction and one claim.
///
/// The wait is bounded by the last ending write's duration, at most ``longestWait`` (1 ms,
/// ``defaultLongestWait``, unless a test widens it): an ending is then recorded at worst one
/// round trip later than it would have been, the time it would have spent queued behind a
/// call anyway. No wait when nothing else is running (an idle
/// worker's ending goes at once), while draining, or when the store answers faster than
/// ``shortestWait`` (the memory store: a timer would cost more than the call).
struct EndingGather {
    /// The longest an ending waits for others, unless configured otherwise.
    static let defaultLongestWait = Duration.milliseconds(1)
    /// Below this store round trip, endings never wait.
    static let shortestWait = Duration.microseconds(50)

    /// The longest an ending waits for others.
    let longestWait: Duration

    /// When the oldest queued ending was queued; nil when none is queued.
    private(set) var oldestQueuedAt: LoopInstant?
    /// When handlers last started: their endings are the ones worth waiting for.
    private(set) var lastStart: LoopInstant?
    /// How long the last store call that wrote endings took.
    var lastWrite = Duration.zero

    /// A gather whose endings wait at most `longestWait`.
    init(longestWait: Duration = Self.defaultLongestWait) {
        self.longestWait = longestWait
    }

    /// An ending was queued at `now`.
    mutating func queued(at now: LoopInstant) {
        if oldestQueuedAt == nil { oldestQueuedAt = now }
    }

    /// Handlers started at `now`.
    mutating func started(at now: LoopInstant) {
        lastStart = now
    }

    /// The queued endings are being written.
    mutating func flushed() {
        oldestQueuedAt = nil
    }

    /// Until when the queued endings should wait, or nil to write them now: `othersRunning`
    /// tells whether some handler may still end soon, `draining` whether the worker is
    /// shutting down. The wait runs from the oldest ending or from the last start, whichever is
    /// later: endings that came in while a call was in flight wait for the handlers that call
    /// just started, which is what brings a split batch back together.
    func waitUntil(now: LoopInstant, othersRunning: Bool, draining: Bool) -> LoopInstant? {
        guard othersRunning, !draining, let oldestQueuedAt, lastWrite >= Self.shortestWait else { return nil }
        let from = lastStart.map { max($0, oldestQueuedAt) } ?? oldestQueuedAt
        let deadline = from + min(lastWrite, longestWait)
        return deadline > now ? deadline : nil
    }
}
