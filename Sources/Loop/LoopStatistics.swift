/// Counters of a loop's work, for benchmarks (``EventLoop/statistics``): how many iterations
/// it ran and how many system calls it made in them.
///
/// SPI (`@_spi(LoopStatistics) import Loop`): a measuring aid, not part of the loop's API.
@_spi(LoopStatistics)
public struct LoopStatistics: Hashable, Sendable {
    /// Iterations of `run()`: one per sleep, or per poll when work was waiting.
    public var iterations: UInt64

    /// System calls the loop thread made to sleep and to consume what woke it: the backend's
    /// (`epoll_wait`, `timerfd_settime`, `read` of the timerfd, `epoll_ctl`; or
    /// `io_uring_enter`) and the reads of the eventfd and the signalfd. Not counted: what the
    /// callbacks do, and the eventfd writes of the threads that wake the loop.
    public var systemCalls: UInt64
}

extension EventLoop {
    /// The loop's counters so far. On the loop thread, or after the loop stopped; O(1).
    @_spi(LoopStatistics)
    public var statistics: LoopStatistics {
        precondition(inLoop || isStopped, "statistics are read on the loop thread or after it stopped")
        return LoopStatistics(iterations: iterations, systemCalls: eventBackend.systemCalls &+ descriptorReads)
    }
}
