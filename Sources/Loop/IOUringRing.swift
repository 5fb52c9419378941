import CURing

/// Owns one io_uring instance (liburing's `struct io_uring`: the ring descriptor and the
/// mapped submission and completion queues) and tears it down exactly once: at ``exit()`` or,
/// failing that, in `deinit`.
///
/// Each method is named after the liburing call it makes (through the CURing shim). Loop-thread
/// state once the loop runs; only its creation happens elsewhere.
final class IOUringRing {
    /// liburing's ring state, whose layout Swift cannot see (CURing.h keeps it opaque).
    let ring: OpaquePointer
    private let storage: UnsafeMutableRawPointer
    private var isOpen = true

    /// `io_uring_queue_init(entries, 0)`: a ring of `entries` submission entries (rounded up
    /// to a power of two) and twice as many completion entries.
    ///
    /// - Throws: ``LoopError`` with the call's errno: `ENOSYS` (no io_uring in this kernel),
    ///   `EPERM` (`kernel.io_uring_disabled`, or a seccomp profile), `ENOMEM`, `EMFILE`...
    init(entries: UInt32) throws(LoopError) {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: curing_ring_size(), alignment: 64)
        let ring = OpaquePointer(storage)
        do {
            try uringCall("io_uring_queue_init") { curing_queue_init(entries, ring) }
        } catch {
            storage.deallocate()
            throw error
        }
        self.storage = storage
        self.ring = ring
    }

    deinit {
        exit()
        storage.deallocate()
    }

    /// The `IORING_FEAT_*` bits the kernel reported.
    var features: UInt32 {
        curing_features(ring)
    }

    /// `io_uring_get_sqe`: a free submission entry, or `nil` when the queue is full.
    func getSQE() -> OpaquePointer? {
        curing_get_sqe(ring)
    }

    /// `io_uring_sq_ready`: entries filled and not yet submitted.
    var submissionsReady: UInt32 {
        curing_sq_ready(ring)
    }

    /// `io_uring_submit`: one `io_uring_enter` that hands the filled entries to the kernel.
    func submit() throws(LoopError) {
        try uringCall("io_uring_submit") { curing_submit(ring) }
    }

    /// `io_uring_submit_and_wait`: one `io_uring_enter` that submits the filled entries and
    /// sleeps until at least `count` completions are ready.
    func submitAndWait(_ count: UInt32) throws(LoopError) {
        try uringCall("io_uring_submit_and_wait") { curing_submit_and_wait(ring, count) }
    }

    /// `io_uring_peek_batch_cqe`: up to `capacity` ready completions into `completions`;
    /// returns how many. No system call unless the completion queue overflowed.
    func peekBatch(_ completions: UnsafeMutablePointer<OpaquePointer?>, capacity: UInt32) -> UInt32 {
        curing_peek_batch_cqe(ring, completions, capacity)
    }

    /// `io_uring_cq_advance`: marks `count` completions consumed.
    func advance(_ count: UInt32) {
        curing_cq_advance(ring, count)
    }

    /// `io_uring_queue_exit`: cancels every pending request, unmaps the queues and closes the
    /// ring's descriptor. Later calls do nothing.
    func exit() {
        guard isOpen else { return }
        isOpen = false
        curing_queue_exit(ring)
    }
}

/// Loop-thread state: not to be shared between threads.
@available(*, unavailable)
extension IOUringRing: Sendable {}
