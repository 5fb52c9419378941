/// The epoll backend: one `epoll_wait` per iteration over the wake-up eventfd, a timerfd armed
/// (absolute `CLOCK_MONOTONIC`) at the earliest deadline, and the signalfd.
///
/// Each iteration that sleeps costs `epoll_wait`, plus `read` of the timerfd when it fired and
/// `timerfd_settime` when the earliest deadline changed.
final class EpollBackend: LoopBackend {
    /// Most events taken from one `epoll_wait` (the shim's limit); the loop has three sources.
    static let eventCapacity: Int32 = 64

    let kind = EventLoop.Backend.epoll
    private let epoll: FileDescriptor
    private let timerFd: FileDescriptor
    private let signalFd: Int32
    private let eventMasks = UnsafeMutablePointer<UInt32>.allocate(capacity: Int(eventCapacity))
    private let eventSources = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(eventCapacity))
    private(set) var systemCalls: UInt64 = 0

    /// Creates the epoll instance and the timerfd and watches `wakeUp`, the timerfd, and
    /// `signal` (for nothing until ``watchSignals()``: a loop without handlers must not take
    /// signals away from the kernel's pending set, another loop may want them). The
    /// descriptors given stay owned by the caller.
    init(wakeUp: Int32, signal: Int32) throws(LoopError) {
        epoll = FileDescriptor(try Epoll.create())
        timerFd = FileDescriptor(try TimerFd.create())
        signalFd = signal
        try Epoll.add(epoll: epoll.rawValue, fd: wakeUp, events: Epoll.readable, data: Self.data(.wakeUp))
        try Epoll.add(epoll: epoll.rawValue, fd: timerFd.rawValue, events: Epoll.readable, data: Self.data(.timer))
        try Epoll.add(epoll: epoll.rawValue, fd: signal, events: 0, data: Self.data(.signal))
    }

    deinit {
        eventMasks.deallocate()
        eventSources.deallocate()
    }

    func watchSignals() throws(LoopError) {
        systemCalls += 1
        try Epoll.modify(epoll: epoll.rawValue, fd: signalFd, events: Epoll.readable, data: Self.data(.signal))
    }

    func setDeadline(_ deadline: LoopInstant?) throws(LoopError) {
        systemCalls += 1
        try TimerFd.settime(timerFd.rawValue, deadline: deadline)
    }

    /// `epoll_wait` (-1: until an event, 0: only poll); resets the timerfd when it fired.
    func wait(blocking: Bool) throws(LoopError) -> ReadySources {
        systemCalls += 1
        let count = try Epoll.wait(
            epoll: epoll.rawValue, events: eventMasks, data: eventSources,
            capacity: Self.eventCapacity, timeoutMilliseconds: blocking ? -1 : 0)
        var ready: ReadySources = []
        for index in 0..<count {
            switch EventSource(rawValue: UInt8(truncatingIfNeeded: eventSources[index])) {
            case .wakeUp:
                ready.insert(.wakeUp)
            case .timer:
                systemCalls += 1
                _ = try TimerFd.read(timerFd.rawValue)
                ready.insert(.timer)
            case .signal:
                ready.insert(.signal)
            case .timerUpdate, nil:
                preconditionFailure("epoll reported an unknown source \(eventSources[index])")
            }
        }
        return ready
    }

    func close() {
        epoll.close()
        timerFd.close()
    }

    private static func data(_ source: EventSource) -> UInt64 {
        UInt64(source.rawValue)
    }
}

/// Loop-thread state: not to be shared between threads.
@available(*, unavailable)
extension EpollBackend: Sendable {}
