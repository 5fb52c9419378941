import CEpoll
import Glibc

/// The loop's phase (idle → running → stopped) behind a mutex and a condition variable, so
/// that other threads can block until the loop is running (``EventLoop/startThread(name:clock:)``)
/// or has stopped (``EventLoop/waitUntilStopped()``).
///
/// A pthread condition variable because the standard library's `Mutex` cannot wait; the
/// condition uses `CLOCK_MONOTONIC` so that timed waits ignore wall-clock changes.
final class LoopLifecycle: @unchecked Sendable {  // safe: `phase` is only touched with `mutex` held
    /// Where the loop is in its one-way life.
    enum Phase: Int, Comparable {
        /// Created; `run()` not called yet.
        case idle
        /// `run()` is looping on the loop thread.
        case running
        /// `run()` has finished its shutdown: queued work ran, pending timers were told.
        case stopped

        static func < (lhs: Phase, rhs: Phase) -> Bool {
            lhs.rawValue < rhs.rawValue
        }
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var phase = Phase.idle

    init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The current phase.
    var current: Phase {
        withLock { phase }
    }

    /// Moves idle → running; `false` (and no change) if `run()` was already called.
    func begin() -> Bool {
        withLock {
            guard phase == .idle else { return false }
            phase = .running
            pthread_cond_broadcast(condition)
            return true
        }
    }

    /// Moves to stopped and wakes every waiter.
    func finish() {
        withLock {
            phase = .stopped
            pthread_cond_broadcast(condition)
        }
    }

    /// Blocks until the phase is `target` or later.
    func wait(for target: Phase) {
        withLock {
            while phase < target {
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    /// Blocks until the phase is `target` or later, or `timeout` has passed; returns whether
    /// the phase was reached.
    func wait(for target: Phase, timeout: Duration) -> Bool {
        let deadline = UInt64(clamping: Int64(truncatingIfNeeded: cepoll_monotonic_now_ns())
            .saturatingAdd(timeout.saturatingNanoseconds))
        var time = timespec(
            tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return withLock {
            while phase < target {
                if pthread_cond_timedwait(condition, mutex, &time) == ETIMEDOUT {
                    return phase >= target
                }
            }
            return true
        }
    }

    private func withLock<Result>(_ body: () -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }
}
