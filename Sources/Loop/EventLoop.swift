import CEpoll
import Glibc
import Synchronization

/// One thread running an event loop: the owner of the scheduler state of the layers above.
///
/// The loop sleeps until one of three things happens: an eventfd through which any thread
/// hands it work (``execute(_:)``) becomes readable, the earliest deadline of its timer heap
/// (``schedule(at:_:)``, absolute `CLOCK_MONOTONIC` time) passes, or a signalfd that turns
/// SIGTERM/SIGINT into loop events (``onSignal(_:)``) becomes readable. It sleeps in epoll
/// (with a timerfd for the deadline) or in io_uring (multishot polls and a timeout request):
/// see ``Backend``. Its clock is injected (``init(clock:backend:)``): with a ``ManualClock``
/// no real time is ever waited for.
///
/// ## Threading contract
/// - **Any thread** may call ``execute(_:)``, ``schedule(at:_:)``, ``schedule(after:_:)``,
///   ``cancel(_:)``, ``onSignal(_:)``, ``stop()``, ``now``, ``clock`` and ``inLoop``. None of
///   them blocks (a short uncontended lock at most).
/// - **On the loop thread, and only there**, run: closures given to `execute`, timer bodies and
///   signal handlers. They run one at a time, never concurrently, so state touched only by them
///   needs no lock: keep it in a ``LoopBound``.
/// - **Order**: work submitted from one thread runs in the order it was submitted; timers fire
///   in (deadline, submission order); a timer scheduled or cancelled from another thread takes
///   effect in the order of that thread's other submissions.
/// - **The loop thread must never block**: it runs nothing but short callbacks (microseconds).
///   A callback must not wait for I/O, a database, a lock held for long or another thread
///   (``waitUntilStopped()`` traps there). Blocking work runs on other threads, which hop back
///   with ``execute(_:)``.
/// - **Lifetime**: ``init(clock:backend:)`` starts no thread; ``run()`` runs the loop on the
///   calling thread, ``startThread(name:clock:backend:)`` on a new one. ``stop()`` ends it; nothing pending is
///   dropped silently (see ``stop()``).
///
/// ## Signals
/// SIGTERM and SIGINT reach the signalfd only if they are blocked in **every** thread of the
/// process; otherwise the kernel delivers them to a thread that does not block them and the
/// process dies (default action). Call ``blockTerminationSignals()`` first thing in `main`,
/// before any thread exists (Dispatch, Swift concurrency, Foundation and loop threads alike
/// inherit the mask of the thread that creates them). The loop blocks them in its own thread
/// too, but that alone is not enough. Register handlers on one loop per process: a signal
/// is delivered to one reader only.
public final class EventLoop: @unchecked Sendable {  // safe: the `var`s below, and `eventBackend`, are touched only on the loop thread (between run()'s start and end); everything else shared is a let of Sendable type (Mutex, Atomic, SubmissionQueue, LoopLifecycle)
    /// The clock deadlines are measured on.
    public let clock: any LoopClock

    /// The kernel interface this loop sleeps in: ``Backend/epoll`` or ``Backend/ioUring``
    /// (never ``Backend/automatic``, which resolves to one of them at creation).
    public let backend: Backend

    /// Why this loop runs on epoll although ``Backend/automatic`` chose io_uring: the error
    /// io_uring's setup failed with (e.g. `io_uring_queue_init` with `EPERM` where
    /// `kernel.io_uring_disabled` is set). `nil` when nothing fell back, which is always the
    /// case while ``Backend/automatic`` prefers epoll. The loop has no logger: whoever creates
    /// it logs this, once.
    public let backendFallback: LoopError?

    /// How deadlines are waited for: the timerfd, or wake-ups from a manual clock.
    let waiting: LoopClockWaiting
    let submissions: SubmissionQueue
    let signalFd: FileDescriptor
    /// epoll or io_uring: loop-thread state once `run()` starts.
    let eventBackend: any LoopBackend
    let lifecycle = LoopLifecycle()
    /// `pthread_self()` of the loop thread while `run()` runs, 0 otherwise.
    let loopThread = Atomic<UInt>(0)
    let nextTimerSequence = Atomic<UInt64>(0)
    /// Cancellations not yet compacted away: a hint for when to compact the heap.
    let cancelledTimers = Atomic<Int>(0)

    // Loop-thread state.
    var timers = TimerQueue()
    /// For a clock that wakes the loop: the latest instant it announced through the queue.
    var announcedTime: LoopInstant
    var signalHandlers: [@Sendable (Int32) -> Void] = []
    var receivedSignals: [Int32] = []
    /// The batch of tasks taken from the queue; its capacity is reused.
    var taskBatch: [LoopTask] = []
    /// Iterations of `run()` and the loop's own system calls (``statistics``).
    var iterations: UInt64 = 0
    var descriptorReads: UInt64 = 0

    /// Creates the loop's descriptors (eventfd, signalfd, and those of `backend`) and
    /// attaches to `clock`. Starts no thread: call ``run()`` on the thread that is to be the
    /// loop thread, or use ``startThread(name:clock:backend:)``. Work may be submitted before
    /// the loop runs.
    ///
    /// - Parameter backend: the kernel interface to sleep in (``Backend``); by default
    ///   ``Backend/automatic``, which reads `JOB_PROCESSOR_LOOP` and otherwise takes epoll.
    /// - Throws: ``LoopError`` with code ``LoopError/Code/syscallFailed`` when a descriptor
    ///   cannot be created (e.g. `EMFILE`), or io_uring's setup fails for an explicit
    ///   ``Backend/ioUring``; ``LoopError/Code/unsupported`` for ``Backend/ioUring`` on a
    ///   kernel older than 5.17; ``LoopError/Code/invalidArgument`` when
    ///   `JOB_PROCESSOR_LOOP` names no backend. Descriptors created before the failure are
    ///   closed.
    public convenience init(clock: any LoopClock = MonotonicClock(), backend: Backend = .automatic) throws(LoopError) {
        try self.init(
            clock: clock, backend: backend, environment: Self.backendFromEnvironment()
        ) { () throws(LoopError) in
            try IOUringRing(entries: IOUringBackend.defaultEntries)
        }
    }

    /// The initialiser with io_uring's setup and the environment injected, for tests.
    init(
        clock: any LoopClock,
        backend requested: Backend,
        environment: String?,
        preferred: Backend = .preferred,
        openRing: () throws(LoopError) -> IOUringRing
    ) throws(LoopError) {
        let submissions = try SubmissionQueue()
        let signalFd = FileDescriptor(try SignalFd.create(Self.terminationSignals))
        let (eventBackend, fallback) = try Self.makeBackend(
            requested, environment: environment, preferred: preferred,
            wakeUp: submissions.eventFd.rawValue, signal: signalFd.rawValue, openRing: openRing)
        self.clock = clock
        self.submissions = submissions
        self.signalFd = signalFd
        self.eventBackend = eventBackend
        self.backend = eventBackend.kind
        backendFallback = fallback
        announcedTime = clock.now()
        waiting = clock.attach { [weak submissions] instant in
            submissions?.enqueue(.clockAdvanced(instant)) ?? false
        }
    }

    /// The current instant on ``clock``. Any thread.
    ///
    /// On the loop thread of a loop whose clock wakes it (``ManualClock``), the instant of the
    /// latest clock move the loop has processed, so that loop code sees time move in step with
    /// its queue (a callback queued before an advance does not see that advance).
    public var now: LoopInstant {
        if waiting == .wakesOnAdvance, inLoop {
            return announcedTime
        }
        return clock.now()
    }

    /// The instant timers are fired against: the clock itself, or for a clock that wakes the
    /// loop the latest instant it announced. Loop thread only.
    var firingTime: LoopInstant {
        waiting == .timerFd ? clock.now() : announcedTime
    }

    /// Whether the calling thread is this loop's thread (inside ``run()``). Any thread; O(1).
    public var inLoop: Bool {
        loopThread.load(ordering: .relaxed) == pthread_self()
    }

    /// Traps unless called on this loop's thread: guards loop-thread-only state.
    public func preconditionInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inLoop, "must be called on the event loop's thread", file: file, line: line)
    }

    /// Traps if called on this loop's thread: guards calls that would block the loop.
    public func preconditionNotInLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(!inLoop, "must not be called on the event loop's thread", file: file, line: line)
    }

    /// Runs `work` on the loop thread, after the work this thread submitted before. Any thread.
    ///
    /// O(1): one short lock and an append; the eventfd is written only when the loop is parked
    /// (asleep in the kernel, or about to be), so a burst of submissions to a busy loop makes no system call.
    ///
    /// - Throws: ``LoopError`` with code ``LoopError/Code/loopStopped`` once ``stop()`` has been
    ///   called (also from work running during the shutdown): `work` is then not run.
    public func execute(_ work: @escaping @Sendable () -> Void) throws(LoopError) {
        guard submissions.enqueue(.work(work)) else {
            throw LoopError.stopped("execute")
        }
    }

    /// Calls `body` on the loop thread with ``TimerEvent/fired`` once ``now`` reaches
    /// `deadline`, or with ``TimerEvent/loopStopped`` if the loop stops first. Never both, and
    /// never after ``cancel(_:)`` succeeded. Any thread.
    ///
    /// A past deadline fires at the next iteration. Equal deadlines fire in submission order.
    /// O(log n) on the loop thread; from another thread O(1) here plus O(log n) when the loop
    /// takes it. If the loop has already stopped, `body` is called at once, on the calling
    /// thread, with ``TimerEvent/loopStopped``.
    @discardableResult
    public func schedule(at deadline: LoopInstant, _ body: @escaping @Sendable (TimerEvent) -> Void) -> TimerHandle {
        let sequence = nextTimerSequence.wrappingAdd(1, ordering: .relaxed).oldValue
        let record = TimerRecord(deadline: deadline, sequence: sequence, body: body)
        if inLoop {
            timers.insert(record)
        } else if !submissions.enqueue(.timer(record)), record.claim() {
            body(.loopStopped)
        }
        return TimerHandle(record)
    }

    /// Like ``schedule(at:_:)`` with the deadline `delay` after ``now``.
    @discardableResult
    public func schedule(after delay: Duration, _ body: @escaping @Sendable (TimerEvent) -> Void) -> TimerHandle {
        schedule(at: now + delay, body)
    }

    /// Cancels a pending timer: its body is never called. Any thread; O(1), no system call.
    ///
    /// Returns `true` if this call cancelled it, `false` if it had already fired, been told the
    /// loop stopped, or been cancelled. A cancellation from another thread racing with the
    /// firing is decided atomically: either the body runs, or `cancel` returns `true`.
    /// The cancelled timer stays in the heap, skipped when reached; the deadline wake-up, if
    /// armed for it, is moved at the next iteration.
    @discardableResult
    public func cancel(_ handle: TimerHandle) -> Bool {
        guard handle.record.cancel() else { return false }
        cancelledTimers.wrappingAdd(1, ordering: .relaxed)
        return true
    }

    /// Calls `handler` on the loop thread with the signal number each time SIGTERM or SIGINT
    /// is sent to the process. Any thread. Handlers run in registration order.
    ///
    /// The loop reads the signalfd only once a handler exists, so a signal sent earlier stays
    /// pending in the kernel and is delivered to the first handler. Requires the signals to be
    /// blocked in every thread (``blockTerminationSignals()``). Ignored once the loop stopped.
    public func onSignal(_ handler: @escaping @Sendable (Int32) -> Void) {
        if inLoop {
            registerSignalHandler(handler)
        } else {
            _ = submissions.enqueue(.signalHandler(handler))
        }
    }

    /// Asks the loop to stop. Any thread; returns at once (use ``waitUntilStopped()`` to wait).
    ///
    /// From this call on, ``execute(_:)`` throws ``LoopError/Code/loopStopped``. Then, on the
    /// loop thread: work queued before the call still runs (in order); every pending timer that
    /// was not cancelled gets ``TimerEvent/loopStopped``, in deadline order, instead of firing;
    /// the descriptors are closed; ``run()`` returns. Calling it again does nothing.
    public func stop() {
        submissions.close()
    }

    /// Whether ``stop()`` has been called.
    public var isStopping: Bool {
        !submissions.isAccepting
    }
}
