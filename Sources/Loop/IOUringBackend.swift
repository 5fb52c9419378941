import CURing
import Glibc

/// The io_uring backend: multishot poll requests watch the wake-up eventfd and the signalfd,
/// one timeout request (absolute `CLOCK_MONOTONIC`) stands for the earliest deadline and is
/// moved in place when that deadline changes, and each iteration makes at most one
/// `io_uring_enter`, which submits the changes and sleeps.
///
/// An iteration that does not sleep (work is waiting) makes no system call at all unless it
/// has something to submit: completions are read from the shared completion queue. A wake-up
/// costs no `read` of the eventfd either: see "the eventfd is never read" below.
///
/// Requests are told apart by their `user_data`: the ``EventSource`` in the low byte and, for
/// the timeout, a generation above it, so that the completion of a timeout that was replaced
/// is not mistaken for the current one's.
///
/// Rules, and why:
/// - **A multishot poll the kernel ends is re-armed.** The kernel ends one (a completion
///   without `IORING_CQE_F_MORE`) when it cannot post to a full completion queue, or when it
///   cancels the request; the new poll's first check reports readiness that arrived between
///   the two.
/// - **The timeout is updated in place** (`IORING_TIMEOUT_UPDATE`, with
///   `IOSQE_CQE_SKIP_SUCCESS` so that a successful move posts nothing and does not end the
///   wait it is submitted with). An update that finds the timeout already completed (`ENOENT`)
///   or firing (`EALREADY`) posts a failure; the backend then adds a new timeout.
/// - **No deadline is a timeout moved to the far future**, not a removal: a removed timeout
///   posts a completion that would wake the loop for nothing.
/// - **The eventfd is never read.** A multishot poll completes once per wake-up of the
///   descriptor, and every `write` wakes it, whatever the counter holds; readiness that stays
///   does not complete it again. So the completion is the wake-up, and resetting the counter
///   would only cost a system call per wake-up. (A counter that is never reset fills after
///   2^64 - 2 writes, when `write` fails with `EAGAIN` and wakes no one: centuries of wake-ups
///   at millions per second. A re-armed poll completes at once on the non-zero counter: one
///   spurious iteration.)
/// - **A full submission queue is submitted early** (one extra `io_uring_enter`, no wait) and
///   the entry is taken again: nothing is dropped.
/// - **The first requests are submitted by the loop thread.** The kernel finishes a poll's
///   work on the task that submitted it, so the initialiser only queues them.
final class IOUringBackend: LoopBackend {
    /// Submission entries of a production ring. An iteration queues at most one timeout
    /// change and a re-armed poll per descriptor, so this never fills in practice; the
    /// completion queue (twice as large) holds far more than one iteration produces.
    static let defaultEntries: UInt32 = 64

    /// Completions read per `io_uring_peek_batch_cqe`.
    private static let completionCapacity: UInt32 = 64

    /// `CLOCK_MONOTONIC` seconds of "no deadline": beyond any real deadline, still a valid
    /// `timespec` for the kernel.
    private static let farFutureSeconds = Int64.max / 1_000_000_000

    let kind = EventLoop.Backend.ioUring
    let ring: IOUringRing
    private let wakeUpFd: Int32
    private let signalFd: Int32
    private let completions: UnsafeMutablePointer<OpaquePointer?>
    /// The deadline the timeout requests read when they are submitted (the kernel copies it
    /// then): always the latest one asked for, so requests queued together agree.
    private let deadlineSpec: UnsafeMutablePointer<__kernel_timespec>
    /// The latest deadline asked for.
    private var deadline: LoopInstant?
    /// The generation of the current timeout request.
    private var timeoutGeneration: UInt64 = 0
    /// Whether the current timeout request is queued or pending in the kernel.
    private var timeoutPending = false

    private(set) var systemCalls: UInt64 = 0
    /// Times a full submission queue was submitted early to make room.
    private(set) var submissionQueueFullRetries: UInt64 = 0
    /// Multishot polls re-armed after the kernel ended them.
    private(set) var pollRearms: UInt64 = 0
    /// Timeout requests added, moved in place, and completed by their deadline.
    private(set) var timeoutsAdded: UInt64 = 0
    private(set) var timeoutsMoved: UInt64 = 0
    private(set) var timeoutsFired: UInt64 = 0

    /// Takes `ring` and queues the multishot poll of `wakeUp`; `signal` is polled from
    /// ``watchSignals()`` on. The descriptors given stay owned by the caller.
    ///
    /// - Throws: ``LoopError/Code/unsupported`` when the kernel lacks
    ///   `IORING_FEAT_CQE_SKIP` (Linux 5.17, which also brings every other request used here).
    init(ring: IOUringRing, wakeUp: Int32, signal: Int32) throws(LoopError) {
        guard ring.features & CURING_FEAT_CQE_SKIP != 0 else {
            throw LoopError(code: .unsupported, operation: "io_uring without IORING_FEAT_CQE_SKIP (Linux < 5.17)")
        }
        self.ring = ring
        wakeUpFd = wakeUp
        signalFd = signal
        completions = .allocate(capacity: Int(Self.completionCapacity))
        deadlineSpec = .allocate(capacity: 1)
        deadlineSpec.initialize(to: __kernel_timespec(tv_sec: Self.farFutureSeconds, tv_nsec: 0))
        // An empty ring always has a free entry, so this submits nothing.
        try queuePoll(.wakeUp)
    }

    deinit {
        ring.exit()
        completions.deallocate()
        deadlineSpec.deallocate()
    }

    func watchSignals() throws(LoopError) {
        try queuePoll(.signal)
    }

    func setDeadline(_ deadline: LoopInstant?) throws(LoopError) {
        self.deadline = deadline
        if let deadline {
            let nanoseconds = max(deadline.nanoseconds, 1)
            deadlineSpec.pointee = __kernel_timespec(
                tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        } else {
            deadlineSpec.pointee = __kernel_timespec(tv_sec: Self.farFutureSeconds, tv_nsec: 0)
        }
        if timeoutPending {
            let entry = try nextEntry()
            curing_prep_timeout_update_absolute(entry, deadlineSpec, Self.userData(.timer, timeoutGeneration))
            curing_sqe_set_data64(entry, Self.userData(.timerUpdate, timeoutGeneration))
            curing_sqe_set_flags(entry, CURING_IOSQE_CQE_SKIP_SUCCESS)
            timeoutsMoved += 1
        } else if deadline != nil {
            try queueTimeout()
        }
    }

    /// `io_uring_submit_and_wait(1)` when blocking; otherwise `io_uring_submit` if anything
    /// is queued, else no system call. Then reads every completion.
    func wait(blocking: Bool) throws(LoopError) -> ReadySources {
        if blocking {
            systemCalls += 1
            try ring.submitAndWait(1)
        } else if ring.submissionsReady > 0 {
            systemCalls += 1
            try ring.submit()
        }
        return try reapCompletions()
    }

    func close() {
        ring.exit()
    }

    // MARK: Completions

    /// Reads and consumes every ready completion; returns the sources found ready.
    private func reapCompletions() throws(LoopError) -> ReadySources {
        var ready: ReadySources = []
        while true {
            let count = ring.peekBatch(completions, capacity: Self.completionCapacity)
            for index in 0..<Int(count) {
                let completion = completions[index]!
                try handle(
                    userData: curing_cqe_user_data(completion), result: curing_cqe_res(completion),
                    flags: curing_cqe_flags(completion), ready: &ready)
            }
            ring.advance(count)
            if count < Self.completionCapacity {
                return ready
            }
        }
    }

    private func handle(userData: UInt64, result: Int32, flags: UInt32, ready: inout ReadySources) throws(LoopError) {
        let generation = userData >> 8
        switch EventSource(rawValue: UInt8(truncatingIfNeeded: userData)) {
        case .wakeUp:
            try pollCompleted(.wakeUp, result: result, flags: flags, ready: &ready)
        case .signal:
            try pollCompleted(.signal, result: result, flags: flags, ready: &ready)
        case .timer:
            // -ETIME: the deadline passed. The timeout is never removed, so nothing else should
            // end it; a failure would leave the loop without its deadline, so it is a bug.
            guard result == -ETIME || result == -ECANCELED else {
                throw LoopError.syscall("io_uring timeout", errno: -result)
            }
            if generation == timeoutGeneration {
                timeoutPending = false
            }
            timeoutsFired += 1
            ready.insert(.timer)
        case .timerUpdate:
            // Only failures complete: the timeout had completed (ENOENT) or was firing
            // (EALREADY) when the update reached it, so the deadline asked for is not armed.
            guard result == -ENOENT || result == -EALREADY else {
                throw LoopError.syscall("io_uring timeout update", errno: -result)
            }
            if generation == timeoutGeneration {
                timeoutPending = false
                if deadline != nil {
                    try queueTimeout()
                }
            }
        case nil:
            preconditionFailure("io_uring completed an unknown request \(userData)")
        }
    }

    /// A multishot poll reported readiness, or ended (no `IORING_CQE_F_MORE`) and is re-armed.
    /// The eventfd's readiness is not reported: the completion itself woke the loop, which
    /// drains its queue every iteration, and the counter needs no reset (see the type's rules).
    private func pollCompleted(
        _ source: EventSource, result: Int32, flags: UInt32, ready: inout ReadySources
    ) throws(LoopError) {
        let readiness: ReadySources = source == .wakeUp ? [] : .signal
        if result > 0 {
            ready.insert(readiness)
        }
        guard flags & CURING_CQE_F_MORE == 0 else { return }
        // Errors that would end a new poll the same way are bugs, not conditions to retry.
        if result == -EBADF || result == -EINVAL {
            throw LoopError.syscall(source == .wakeUp ? "io_uring poll(eventfd)" : "io_uring poll(signalfd)", errno: -result)
        }
        // The signalfd is read non-blocking, so a spurious report costs one EAGAIN.
        ready.insert(readiness)
        pollRearms += 1
        try queuePoll(source)
    }

    // MARK: Submissions

    private func queuePoll(_ source: EventSource) throws(LoopError) {
        let entry = try nextEntry()
        curing_prep_poll_multishot(entry, source == .wakeUp ? wakeUpFd : signalFd, CURING_POLLIN)
        curing_sqe_set_data64(entry, Self.userData(source, 0))
    }

    /// Queues a new timeout request at ``deadlineSpec``, as a new generation.
    private func queueTimeout() throws(LoopError) {
        let entry = try nextEntry()
        timeoutGeneration += 1
        curing_prep_timeout_absolute(entry, deadlineSpec)
        curing_sqe_set_data64(entry, Self.userData(.timer, timeoutGeneration))
        timeoutPending = true
        timeoutsAdded += 1
    }

    /// A free submission entry; when the queue is full, submits what it holds first (one
    /// `io_uring_enter` without waiting), which frees every entry.
    private func nextEntry() throws(LoopError) -> OpaquePointer {
        while true {
            if let entry = ring.getSQE() {
                return entry
            }
            submissionQueueFullRetries += 1
            systemCalls += 1
            try ring.submit()
        }
    }

    private static func userData(_ source: EventSource, _ generation: UInt64) -> UInt64 {
        generation << 8 | UInt64(source.rawValue)
    }
}

/// Loop-thread state: not to be shared between threads.
@available(*, unavailable)
extension IOUringBackend: Sendable {}
