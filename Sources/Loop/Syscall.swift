import CEpoll
import Glibc
import Synchronization

/// Runs `body`, one libc call that returns -1 and sets `errno` on failure, retrying when it was
/// interrupted by a signal (`EINTR`), and turns any other failure into a ``LoopError`` carrying
/// the call's name and `errno`.
///
/// Every system call of the loop goes through here (or ``nonBlockingSyscall(_:_:)``, or
/// ``uringCall(_:_:)`` for liburing's `-errno` convention), so no
/// call site forgets `EINTR` and every error names its call. Modelled on swift-nio's `syscall`.
@inline(__always)
@discardableResult
func syscall<Result: FixedWidthInteger>(
    _ operation: StaticString,
    _ body: () -> Result
) throws(LoopError) -> Result {
    while true {
        let result = body()
        guard result == -1 else { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        throw LoopError.syscall("\(operation)", errno: code)
    }
}

/// Like ``syscall(_:_:)`` for calls on non-blocking descriptors: returns `nil` instead of
/// throwing when the call would block (`EAGAIN`), which for the loop's descriptors simply means
/// "nothing to read" or "the counter is already signalled".
@inline(__always)
func nonBlockingSyscall<Result: FixedWidthInteger>(
    _ operation: StaticString,
    _ body: () -> Result
) throws(LoopError) -> Result? {
    while true {
        let result = body()
        guard result == -1 else { return result }
        let code = Glibc.errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return nil }
        throw LoopError.syscall("\(operation)", errno: code)
    }
}

/// Like ``syscall(_:_:)`` for liburing's calls, which return `-errno` on failure instead of
/// setting `errno`: retries `-EINTR` and throws any other failure as a ``LoopError`` carrying
/// the call's name and the errno.
@inline(__always)
@discardableResult
func uringCall(_ operation: StaticString, _ body: () -> Int32) throws(LoopError) -> Int32 {
    while true {
        let result = body()
        guard result < 0 else { return result }
        if result == -EINTR { continue }
        throw LoopError.syscall("\(operation)", errno: -result)
    }
}

/// Owns one file descriptor and closes it exactly once: at ``close()`` or, failing that, in
/// `deinit`.
///
/// Why a class: a throwing initialiser that has opened two descriptors and fails on the third
/// releases the owners it already made, so nothing leaks; and `deinit` is the backstop for a
/// loop that is dropped without ever running.
final class FileDescriptor: Sendable {
    private let storage: Atomic<Int32>

    /// Takes ownership of `rawValue`, an open descriptor.
    init(_ rawValue: Int32) {
        storage = Atomic(rawValue)
    }

    /// The descriptor, or -1 once closed.
    var rawValue: Int32 {
        storage.load(ordering: .acquiring)
    }

    /// Closes the descriptor if it is still open; later calls do nothing.
    ///
    /// `EINTR` is not retried: on Linux the descriptor is released even when `close` is
    /// interrupted, and retrying could close a descriptor another thread just opened.
    func close() {
        let fd = storage.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 {
            _ = Glibc.close(fd)
        }
    }

    deinit {
        close()
    }
}

// The Linux-only system calls the loop makes, one small enum per facility, each function named
// after its call. All of them go through `syscall` / `nonBlockingSyscall` above, so
// `EINTR` is retried and failures carry errno and the call's name. The C side is the thin
// CEpoll shim, needed because Swift's Glibc module does not import these headers.

/// epoll(7): the loop's one wait point.
enum Epoll {
    /// Readiness for reading (`EPOLLIN`).
    static let readable = CEPOLL_IN

    /// `epoll_create1(EPOLL_CLOEXEC)`.
    static func create() throws(LoopError) -> Int32 {
        try syscall("epoll_create1") { cepoll_create() }
    }

    /// `epoll_ctl(EPOLL_CTL_ADD)`: watches `fd` for `events`, reporting `data` with each event.
    static func add(epoll: Int32, fd: Int32, events: UInt32, data: UInt64) throws(LoopError) {
        try syscall("epoll_ctl") { cepoll_ctl(epoll, CEPOLL_CTL_ADD, fd, events, data) }
    }

    /// `epoll_ctl(EPOLL_CTL_MOD)`: changes the events watched on an added `fd`.
    static func modify(epoll: Int32, fd: Int32, events: UInt32, data: UInt64) throws(LoopError) {
        try syscall("epoll_ctl") { cepoll_ctl(epoll, CEPOLL_CTL_MOD, fd, events, data) }
    }

    /// `epoll_wait`: fills up to `capacity` (at most 64) entries of `events`/`data` and returns
    /// how many. `timeoutMilliseconds` -1 waits without limit, 0 only polls.
    static func wait(
        epoll: Int32,
        events: UnsafeMutablePointer<UInt32>,
        data: UnsafeMutablePointer<UInt64>,
        capacity: Int32,
        timeoutMilliseconds: Int32
    ) throws(LoopError) -> Int {
        Int(try syscall("epoll_wait") { cepoll_wait(epoll, events, data, capacity, timeoutMilliseconds) })
    }
}

/// timerfd(2) on `CLOCK_MONOTONIC`: how the loop sleeps until its earliest deadline.
enum TimerFd {
    /// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
    static func create() throws(LoopError) -> Int32 {
        try syscall("timerfd_create") { cepoll_timerfd_create() }
    }

    /// `timerfd_settime(TFD_TIMER_ABSTIME)`: fires once at `deadline` (CLOCK_MONOTONIC), or
    /// disarms the timer when `deadline` is `nil`. Deadlines at or before the epoch are clamped
    /// to 1 ns (already past, so it fires at once) because 0 would mean "disarm".
    static func settime(_ fd: Int32, deadline: LoopInstant?) throws(LoopError) {
        let nanoseconds = deadline.map { UInt64(max($0.nanoseconds, 1)) } ?? 0
        try syscall("timerfd_settime") { cepoll_timerfd_arm_absolute(fd, nanoseconds) }
    }

    /// `read`: consumes the expiration count; `nil` if the timer has not expired.
    static func read(_ fd: Int32) throws(LoopError) -> UInt64? {
        var expirations: UInt64 = 0
        let count = try nonBlockingSyscall("read(timerfd)") {
            Glibc.read(fd, &expirations, MemoryLayout<UInt64>.size)
        }
        return count == nil ? nil : expirations
    }
}

/// eventfd(2): the wake-up other threads use to interrupt the loop's `epoll_wait`.
enum EventFd {
    /// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
    static func create() throws(LoopError) -> Int32 {
        try syscall("eventfd") { cepoll_eventfd_create() }
    }

    /// `write` of 1: makes the descriptor readable. A full counter (`EAGAIN`) is already
    /// readable, so it counts as success.
    static func write(_ fd: Int32) throws(LoopError) {
        var one: UInt64 = 1
        _ = try nonBlockingSyscall("write(eventfd)") { Glibc.write(fd, &one, MemoryLayout<UInt64>.size) }
    }

    /// `read`: resets the counter to zero; `nil` if it was zero already.
    static func read(_ fd: Int32) throws(LoopError) -> UInt64? {
        var value: UInt64 = 0
        let count = try nonBlockingSyscall("read(eventfd)") { Glibc.read(fd, &value, MemoryLayout<UInt64>.size) }
        return count == nil ? nil : value
    }
}

/// signalfd(2): SIGTERM/SIGINT as readable events instead of asynchronous handlers.
enum SignalFd {
    /// `signalfd(-1, signals, SFD_NONBLOCK | SFD_CLOEXEC)`.
    static func create(_ signals: [Int32]) throws(LoopError) -> Int32 {
        try syscall("signalfd") { cepoll_signalfd_create(signals, Int32(signals.count)) }
    }

    /// `read`: the number of one pending signal, or `nil` if none is pending.
    static func read(_ fd: Int32) throws(LoopError) -> Int32? {
        try nonBlockingSyscall("read(signalfd)") { cepoll_signalfd_read(fd) }
    }

    /// `pthread_sigmask(SIG_BLOCK)`: blocks `signals` in the calling thread (and so in every
    /// thread it spawns afterwards). It reports errors as its return value, not through errno.
    static func pthreadSigmaskBlock(_ signals: [Int32]) throws(LoopError) {
        let result = cepoll_block_signals(signals, Int32(signals.count))
        if result != 0 {
            throw LoopError.syscall("pthread_sigmask", errno: result)
        }
    }
}
