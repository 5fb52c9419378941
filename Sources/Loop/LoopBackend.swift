/// The kernel interface an ``EventLoop`` sleeps in: it watches the loop's descriptors (the
/// wake-up eventfd, the signalfd) and wakes the loop at the earliest timer deadline.
///
/// Two implementations, chosen when the loop is created (``EventLoop/Backend``):
/// ``EpollBackend`` (epoll, with a timerfd for the deadline) and ``IOUringBackend`` (io_uring:
/// multishot polls, and an absolute timeout request for the deadline). The loop itself decides
/// everything else (what is due, what to run, when it may sleep), so a backend is only the
/// system calls: it never runs user code.
///
/// Loop-thread state: created by the loop's initialiser (on any thread), then touched only by
/// the loop thread. A backend must make no system call that the loop thread's identity matters
/// to before the first ``wait(blocking:)``.
protocol LoopBackend: AnyObject {
    /// Which backend this is.
    var kind: EventLoop.Backend { get }

    /// Starts reporting the signalfd's readiness (the first signal handler was registered).
    /// Called at most once.
    func watchSignals() throws(LoopError)

    /// Makes the loop wake at `deadline` (absolute `CLOCK_MONOTONIC`), or at no deadline when
    /// `nil`. The loop calls it only when the earliest deadline changes
    /// (``TimerQueue/deadlineChange(now:)``), and never for a deadline already due.
    func setDeadline(_ deadline: LoopInstant?) throws(LoopError)

    /// Submits pending changes and, if `blocking`, sleeps until a descriptor is ready or the
    /// deadline passes; otherwise only collects what is ready. Returns the descriptors found
    /// ready (possibly none, possibly spuriously: the loop reads them non-blocking).
    func wait(blocking: Bool) throws(LoopError) -> ReadySources

    /// Releases the backend's kernel objects. Called once, at the end of `run()`; `deinit`
    /// does it for a loop that never ran.
    func close()

    /// System calls this backend has made (for ``EventLoop/statistics``).
    var systemCalls: UInt64 { get }
}

/// The identity of each thing a backend watches: stored in `epoll_data` or an io_uring
/// request's `user_data` to route each event.
enum EventSource: UInt8 {
    /// The wake-up eventfd (``SubmissionQueue``).
    case wakeUp = 1
    /// The deadline: the timerfd, or the io_uring timeout request.
    case timer = 2
    /// The signalfd.
    case signal = 3
    /// An io_uring request that moves the timeout (it completes only when it fails).
    case timerUpdate = 4
}

/// What ``LoopBackend/wait(blocking:)`` found ready.
struct ReadySources: OptionSet {
    let rawValue: UInt8

    /// The wake-up eventfd is readable and must be reset, or a level-triggered backend
    /// (epoll) would report it again at every wait. The loop drains its queue every iteration
    /// anyway; a backend that is woken once per write (io_uring's poll) never reports this.
    static let wakeUp = ReadySources(rawValue: 1 << 0)
    /// The deadline passed (the loop fires due timers every iteration anyway).
    static let timer = ReadySources(rawValue: 1 << 1)
    /// The signalfd is readable: read every pending signal.
    static let signal = ReadySources(rawValue: 1 << 2)
}
