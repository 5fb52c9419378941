import HeapModule

/// The loop's pending timers, in a min-heap ordered by (deadline, submission order), and the
/// deadline the loop's backend is armed at (a timerfd, or an io_uring timeout).
///
/// Loop-thread state only, and pure: it decides what to fire and what to arm, the loop does the
/// system calls. That keeps the ordering and re-arming rules testable without a kernel.
///
/// Cancellation: `Heap` has no removal by key, so a cancelled timer stays in the heap, marked
/// (``TimerRecord/cancel()``), and is skipped when it reaches the top. ``removeCancelled()``
/// compacts the heap when many cancelled timers are waiting for far deadlines, so that
/// schedule-then-cancel (job time limits, heartbeats) does not grow memory without bound.
struct TimerQueue {
    /// A heap entry: the ordering key stored inline (no pointer chase per comparison) and the
    /// record that holds the body.
    struct Entry: Comparable {
        let deadline: Int64
        let sequence: UInt64
        let record: TimerRecord

        init(_ record: TimerRecord) {
            deadline = record.deadline.nanoseconds
            sequence = record.sequence
            self.record = record
        }

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }

    /// What to do with the backend's deadline before the loop sleeps.
    enum DeadlineChange: Equatable {
        /// Arm it (absolute time) at this deadline.
        case arm(LoopInstant)
        /// Disarm it: the armed deadline is in the future but nothing waits for it any more.
        case disarm
    }

    private var heap = Heap<Entry>()

    /// The deadline the backend is armed at, if it is armed and has not expired.
    private(set) var armed: LoopInstant?

    /// Timers in the heap, including cancelled ones not yet removed.
    var count: Int {
        heap.count
    }

    /// Adds a timer. O(log n).
    mutating func insert(_ record: TimerRecord) {
        heap.insert(Entry(record))
    }

    /// The earliest deadline of a timer that is not cancelled, dropping cancelled timers found
    /// on top of the heap. O(1), plus O(log n) per cancelled timer dropped.
    mutating func nextDeadline() -> LoopInstant? {
        while let top = heap.min {
            if !top.record.isCancelled {
                return top.record.deadline
            }
            _ = heap.removeMin()
        }
        return nil
    }

    /// Removes and returns the earliest timer if it is due at `now` (deadline ≤ now) and was
    /// submitted before `sequenceLimit`; `nil` otherwise. O(log n).
    ///
    /// Cancelled timers are returned too: the caller's ``TimerRecord/claim()`` fails for them,
    /// and not reading their state here saves a cache miss per timer. The limit is the
    /// submission counter at the start of a firing pass: a body that schedules a timer already
    /// due cannot extend the pass forever; the pass stops when that timer reaches the top and
    /// the next iteration fires it, still in (deadline, submission) order.
    mutating func popDue(at now: LoopInstant, submittedBefore sequenceLimit: UInt64) -> TimerRecord? {
        guard let top = heap.min, top.deadline <= now.nanoseconds, top.sequence < sequenceLimit else {
            return nil
        }
        return heap.removeMin().record
    }

    /// Removes and returns the earliest timer that is not cancelled, whatever its deadline;
    /// used at shutdown to tell every pending timer, in order, that the loop stopped.
    /// O(log n) amortised.
    mutating func popNext() -> TimerRecord? {
        while let entry = heap.popMin() {
            if !entry.record.isCancelled {
                return entry.record
            }
        }
        return nil
    }

    /// Drops every cancelled timer from the heap and rebuilds it. O(n); returns how many were
    /// dropped. The loop calls it only when cancelled timers are at least half of the heap, so
    /// the cost is O(1) amortised per cancellation.
    @discardableResult
    mutating func removeCancelled() -> Int {
        let before = heap.count
        heap.removeAll { $0.record.isCancelled }
        return before - heap.count
    }

    /// Decides how the backend's deadline must change before the loop sleeps at `now`, and
    /// records the new armed deadline. `nil` means "leave it alone".
    ///
    /// The deadline is re-armed only when the earliest pending deadline differs from the armed
    /// one: scheduling a later timer, or firing one that is not the earliest, costs no system
    /// call. A deadline already due needs no arming (the loop polls instead of sleeping); an
    /// armed deadline that has passed has expired by itself and needs no disarming.
    mutating func deadlineChange(now: LoopInstant) -> DeadlineChange? {
        if let armedDeadline = armed, armedDeadline <= now {
            armed = nil
        }
        guard let next = nextDeadline() else {
            guard armed != nil else { return nil }
            armed = nil
            return .disarm
        }
        if next <= now || next == armed {
            return nil
        }
        armed = next
        return .arm(next)
    }
}

/// Loop-thread state: not to be shared between threads.
@available(*, unavailable)
extension TimerQueue: Sendable {}
