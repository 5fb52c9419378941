import Synchronization

/// Why a timer's body is being called.
public enum TimerEvent: Sendable, Hashable {
    /// The deadline was reached; the body runs on the loop thread.
    case fired

    /// The loop stopped before the deadline was reached: the timer will never fire. Pending
    /// timers are told so explicitly at shutdown (in deadline order) instead of being dropped,
    /// so whoever waits on them can fail or reschedule that work elsewhere.
    case loopStopped
}

/// Identifies one scheduled timer, for ``EventLoop/cancel(_:)``.
///
/// A small value (one reference) that may be stored, compared, hashed and sent to any thread.
/// Two handles are equal when they name the same timer.
public struct TimerHandle: Hashable, Sendable {
    let record: TimerRecord

    init(_ record: TimerRecord) {
        self.record = record
    }

    /// The deadline the timer was scheduled for.
    public var deadline: LoopInstant {
        record.deadline
    }

    /// True once the timer has been cancelled, has fired, or has been told the loop stopped:
    /// its body will not be called (again).
    public var isFinished: Bool {
        record.isFinished
    }

    /// Handles are equal when they name the same timer.
    public static func == (lhs: TimerHandle, rhs: TimerHandle) -> Bool {
        lhs.record === rhs.record
    }

    /// Hashes the timer's identity.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(record))
    }
}

/// One scheduled timer: its deadline, its order among equal deadlines, its body, and whether it
/// is still pending.
///
/// The pending → cancelled and pending → finished transitions are one atomic compare-exchange
/// each, so `cancel` from any thread and firing on the loop thread race safely: exactly one of
/// them wins, and a timer whose cancellation won never has its body called. This is also how a
/// cancelled timer is removed from the heap, which has no removal by key: it stays in the heap,
/// marked, and is skipped when popped (or dropped by compaction).
final class TimerRecord: Sendable {
    private static let pending: UInt8 = 0
    private static let cancelled: UInt8 = 1
    private static let finished: UInt8 = 2

    /// The instant at or after which the timer fires.
    let deadline: LoopInstant

    /// Submission order, from the loop's counter: breaks ties between equal deadlines.
    let sequence: UInt64

    /// The user's callback.
    let body: @Sendable (TimerEvent) -> Void

    private let state = Atomic<UInt8>(TimerRecord.pending)

    init(deadline: LoopInstant, sequence: UInt64, body: @escaping @Sendable (TimerEvent) -> Void) {
        self.deadline = deadline
        self.sequence = sequence
        self.body = body
    }

    /// Marks the timer cancelled if it is still pending; `true` if this call cancelled it.
    func cancel() -> Bool {
        state.compareExchange(
            expected: Self.pending, desired: Self.cancelled, ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Takes the right to call the body (to fire it or tell it the loop stopped); `false` if the
    /// timer was cancelled (or already finished) first.
    func claim() -> Bool {
        state.compareExchange(
            expected: Self.pending, desired: Self.finished, ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Whether the timer was cancelled; used to skip it in the heap.
    var isCancelled: Bool {
        state.load(ordering: .relaxed) == Self.cancelled
    }

    /// Whether the body will not be called any more.
    var isFinished: Bool {
        state.load(ordering: .acquiring) != Self.pending
    }
}
