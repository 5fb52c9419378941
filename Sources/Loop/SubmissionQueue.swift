import Synchronization

/// Something another thread (or the loop itself) asks the loop thread to do.
enum LoopTask: Sendable {
    /// Run a closure (``EventLoop/execute(_:)``).
    case work(@Sendable () -> Void)
    /// Insert a timer scheduled from another thread into the heap.
    case timer(TimerRecord)
    /// Register a signal handler (``EventLoop/onSignal(_:)``).
    case signalHandler(@Sendable (Int32) -> Void)
    /// The ``ManualClock`` moved to this instant: fire the timers due then, before the tasks
    /// queued after this.
    case clockAdvanced(LoopInstant)
}

/// The queue through which any thread hands tasks to the loop thread, with the eventfd that
/// wakes the loop when it sleeps.
///
/// Cost model: an enqueue is one uncontended lock, one array append and, only when the loop is
/// parked in the kernel (or about to be), one `write` to the eventfd. While the loop is busy,
/// submissions cost no system call at all; the loop takes the whole queue in one swap under the
/// lock (``drain(into:)``), so the lock is never held while user code runs.
///
/// Why no wake-up is lost: the loop marks itself parked under the same lock that producers take
/// (``park()``), and only if the queue is empty; a producer that finds it parked clears the flag
/// and writes the eventfd, which makes the pending wait (`epoll_wait`, `io_uring_enter`)
/// return. On epoll the loop reads the eventfd before it drains, so a write it consumes always
/// belongs to a task it is about to take; on io_uring it never reads it (each write completes
/// the poll once, see ``IOUringBackend``).
///
/// Ordering: tasks run in the order they were appended under the lock, so tasks from one thread
/// run in the order that thread submitted them.
final class SubmissionQueue: Sendable {
    private struct State: Sendable {
        var tasks: [LoopTask] = []
        var parked = false
        var accepting = true
    }

    private let state = Mutex(State())

    /// The wake-up eventfd. Closed only in `deinit`, never at stop: a producer that decided to
    /// wake the loop writes after releasing the lock, and must never hit a closed (or reused)
    /// descriptor.
    let eventFd: FileDescriptor

    init() throws(LoopError) {
        eventFd = FileDescriptor(try EventFd.create())
    }

    /// Appends `task`, waking the loop if it is parked. Returns `false`, and drops nothing
    /// (the task was never taken), if the loop has been stopped. Any thread; O(1) amortised.
    func enqueue(_ task: LoopTask) -> Bool {
        let decision: Bool? = state.withLock { state in
            guard state.accepting else { return nil }
            state.tasks.append(task)
            guard state.parked else { return false }
            state.parked = false
            return true
        }
        guard let wake = decision else { return false }
        if wake {
            wakeLoop()
        }
        return true
    }

    /// Loop thread: swaps every queued task into `buffer` (which must be empty, and whose
    /// capacity is reused for the next batch) and returns whether a stop was requested.
    /// O(1) under the lock.
    func drain(into buffer: inout [LoopTask]) -> Bool {
        state.withLock { state in
            state.parked = false
            swap(&state.tasks, &buffer)
            return !state.accepting
        }
    }

    /// Loop thread, just before it sleeps: marks the loop parked if there is nothing to do.
    /// Returns `false` (do not sleep) when tasks are waiting or a stop was requested.
    func park() -> Bool {
        state.withLock { state in
            guard state.tasks.isEmpty, state.accepting else { return false }
            state.parked = true
            return true
        }
    }

    /// Stops accepting tasks (later enqueues return `false`) and wakes the loop so it notices.
    /// Tasks already queued stay queued: the loop still runs them. Any thread.
    func close() {
        let wake = state.withLock { state in
            state.accepting = false
            defer { state.parked = false }
            return state.parked
        }
        if wake {
            wakeLoop()
        }
    }

    /// Whether the queue still accepts tasks (the loop has not been asked to stop).
    var isAccepting: Bool {
        state.withLock { $0.accepting }
    }

    /// Loop thread: resets the eventfd after epoll reported it readable.
    func consumeWakeUp() {
        do {
            _ = try EventFd.read(eventFd.rawValue)
        } catch {
            fatalError("event loop: \(error)")
        }
    }

    /// Makes the eventfd readable. Failure would mean a closed descriptor, which `deinit`
    /// ordering rules out: a programming error, so it traps with the errno.
    private func wakeLoop() {
        do {
            try EventFd.write(eventFd.rawValue)
        } catch {
            fatalError("event loop wake-up: \(error)")
        }
    }
}
