import CEpoll
import Synchronization

/// The time source of an ``EventLoop``: what "now" is, and how the loop waits for a deadline.
///
/// The clock is injected (``EventLoop/init(clock:)``) so that timing logic can be tested
/// without sleeping: production uses ``MonotonicClock``, tests use ``ManualClock`` and move
/// time themselves. A clock must be cheap to read: the loop calls ``now()`` a few times per
/// iteration, on the loop thread.
public protocol LoopClock: Sendable {
    /// The current instant. Must never go backwards, never block, and be callable from any
    /// thread.
    func now() -> LoopInstant

    /// Called once by each loop that keeps deadlines on this clock, from its initialiser;
    /// answers how that loop must wait for them.
    ///
    /// A clock whose instants are `CLOCK_MONOTONIC` nanoseconds returns
    /// ``LoopClockWaiting/timerFd`` and may ignore `wake`: the loop arms its kernel timer (a
    /// timerfd, or an io_uring timeout) at the earliest deadline. A clock that moves only when told to keeps `wake`, calls it with the
    /// new instant after every move (from the thread that moved it), drops it once it returns
    /// `false` (the loop is gone or stopped), and returns ``LoopClockWaiting/wakesOnAdvance``;
    /// the loop then never waits on real time for a deadline.
    ///
    /// - Parameter wake: queues, behind the work already submitted, a task that moves the
    ///   loop's time to the given instant and fires every timer due then; work submitted after
    ///   the call (from the calling thread) runs after those timers.
    func attach(wake: @escaping @Sendable (LoopInstant) -> Bool) -> LoopClockWaiting
}

/// How an ``EventLoop`` waits for the deadlines of its ``LoopClock``.
public enum LoopClockWaiting: Sendable, Hashable {
    /// The clock's instants are `CLOCK_MONOTONIC` nanoseconds: the loop arms its kernel timer
    /// (absolute time; a timerfd on epoll, a timeout request on io_uring, whatever the case's
    /// name says) at the earliest deadline and re-arms it only when that deadline changes.
    case timerFd

    /// The clock moves only when told to and then calls the loop's wake closure. On the loop
    /// thread, time moves in step with the loop's queue: timers fire, and ``EventLoop/now``
    /// reads, the instant of the latest move the loop has processed. Otherwise the loop sleeps
    /// until other work arrives.
    case wakesOnAdvance
}

/// The production clock: the kernel's `CLOCK_MONOTONIC`, the clock the loop's kernel timer is
/// armed on. Unaffected by wall-clock changes (NTP steps, `date -s`); does not advance while the
/// machine is suspended.
public struct MonotonicClock: LoopClock {
    /// The monotonic clock; stateless, so every instance is the same clock.
    public init() {}

    /// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds (vDSO, no system call: ~20 ns).
    public func now() -> LoopInstant {
        LoopInstant(nanoseconds: Int64(truncatingIfNeeded: cepoll_monotonic_now_ns()))
    }

    /// Returns ``LoopClockWaiting/timerFd``: real time advances by itself.
    public func attach(wake: @escaping @Sendable (LoopInstant) -> Bool) -> LoopClockWaiting {
        .timerFd
    }
}


/// A clock that moves only when a test moves it, so timer logic is tested without sleeping.
///
/// A loop created with a `ManualClock` never arms its kernel timer and never waits on real time
/// for a deadline. ``advance(by:)`` and ``advance(to:)`` move the clock and queue, on every attached
/// loop, a task that fires (on the loop thread, in (deadline, submission) order) every timer due
/// at the new instant. The call itself returns at once. Because the move is queued like any
/// other task, it is ordered after the timers the same thread scheduled before it and before
/// the work it submits afterwards; so a test can advance, then `execute` a closure that signals
/// it, and wait for that signal with every due timer already fired. On the loop thread,
/// ``EventLoop/now`` reads the instant of the latest move the loop has processed:
///
/// ```swift
/// let clock = ManualClock()
/// let loop = try EventLoop.startThread(name: "test", clock: clock)
/// loop.schedule(after: .seconds(30)) { event in ... }
/// clock.advance(by: .seconds(30))
/// try loop.execute { done.signal() }   // runs after the timer above has fired
/// ```
///
/// Thread-safe: any thread may read or move it. Time never goes backwards.
public final class ManualClock: LoopClock {
    private struct Observer: Sendable {
        let id: Int
        let wake: @Sendable (LoopInstant) -> Bool
    }

    private struct Observers: Sendable {
        var nextID = 0
        var list: [Observer] = []
    }

    private let nanoseconds: Atomic<Int64>
    private let observers = Mutex(Observers())

    /// A clock reading `now` until it is moved.
    public init(now: LoopInstant = LoopInstant(nanoseconds: 0)) {
        nanoseconds = Atomic(now.nanoseconds)
    }

    /// The instant the clock was last moved to.
    public func now() -> LoopInstant {
        LoopInstant(nanoseconds: nanoseconds.load(ordering: .acquiring))
    }

    /// Moves the clock forward by `duration` (which must not be negative) and wakes the
    /// attached loops so that they fire the timers now due.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock cannot move backwards (advance by \(duration))")
        var current = nanoseconds.load(ordering: .relaxed)
        while true {
            let target = current.saturatingAdd(duration.saturatingNanoseconds)
            let (exchanged, original) = nanoseconds.compareExchange(
                expected: current, desired: target, ordering: .acquiringAndReleasing)
            if exchanged {
                wakeObservers(at: LoopInstant(nanoseconds: target))
                return
            }
            current = original
        }
    }

    /// Moves the clock forward to `instant` and wakes the attached loops so that they fire the
    /// timers now due. An `instant` not after ``now()`` leaves the clock where it is (time never
    /// goes backwards), but still wakes the loops.
    public func advance(to instant: LoopInstant) {
        let (_, new) = nanoseconds.max(instant.nanoseconds, ordering: .acquiringAndReleasing)
        wakeObservers(at: LoopInstant(nanoseconds: new))
    }

    /// Keeps `wake` and returns ``LoopClockWaiting/wakesOnAdvance``: this clock only moves when
    /// told to, and tells its loops when it does.
    public func attach(wake: @escaping @Sendable (LoopInstant) -> Bool) -> LoopClockWaiting {
        observers.withLock { observers in
            observers.list.append(Observer(id: observers.nextID, wake: wake))
            observers.nextID += 1
        }
        return .wakesOnAdvance
    }

    /// Calls every observer outside the lock (a wake may run arbitrary loop code paths), then
    /// forgets the ones whose loop has gone. O(observers).
    private func wakeObservers(at instant: LoopInstant) {
        let current = observers.withLock { $0.list }
        var gone: [Int] = []
        for observer in current where !observer.wake(instant) {
            gone.append(observer.id)
        }
        if !gone.isEmpty {
            observers.withLock { observers in
                observers.list.removeAll { gone.contains($0.id) }
            }
        }
    }
}
