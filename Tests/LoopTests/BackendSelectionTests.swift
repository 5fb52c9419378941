import Glibc
import Testing

@testable import Loop

/// How a loop picks its backend: the explicit choice, `JOB_PROCESSOR_LOOP` under `.automatic`,
/// and the fall back to epoll where io_uring's setup is refused (simulated: the kernel here
/// allows io_uring).
@Suite("backend selection")
struct BackendSelectionTests {
    /// io_uring's setup as a kernel with `kernel.io_uring_disabled` set answers it.
    private static func refusal() throws(LoopError) -> IOUringRing {
        throw LoopError.syscall("io_uring_queue_init", errno: EPERM)
    }

    @Test("automatic falls back to epoll where io_uring is refused, and says why")
    func automaticFallsBackToEpoll() throws {
        let loop = try EventLoop(
            clock: MonotonicClock(), backend: .automatic, environment: nil, preferred: .ioUring,
            openRing: Self.refusal)
        #expect(loop.backend == .epoll)
        let reason = try #require(loop.backendFallback)
        #expect(reason.code == .syscallFailed)
        #expect(reason.operation == "io_uring_queue_init")
        #expect(reason.errno == EPERM)
        try EventLoop.spawnThread(name: "fallback-test") { loop.run() }
        #expect(loop.flush())
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
    }

    @Test("an explicit io_uring is not replaced: its refusal is thrown")
    func explicitIOUringThrows() {
        let error = #expect(throws: LoopError.self) {
            _ = try EventLoop(clock: MonotonicClock(), backend: .ioUring, environment: nil, openRing: Self.refusal)
        }
        #expect(error?.errno == EPERM)
    }

    @Test("JOB_PROCESSOR_LOOP decides under automatic, and forcing io_uring does not fall back")
    func environmentDecidesUnderAutomatic() throws {
        let forcedEpoll = try EventLoop(
            clock: MonotonicClock(), backend: .automatic, environment: "epoll", preferred: .ioUring,
            openRing: Self.refusal)
        #expect(forcedEpoll.backend == .epoll)
        #expect(forcedEpoll.backendFallback == nil)
        let forcedIOUring = try EventLoop(clock: MonotonicClock(), backend: .automatic, environment: "io_uring", preferred: .epoll) { () throws(LoopError) in
            try IOUringRing(entries: IOUringBackend.defaultEntries)
        }
        #expect(forcedIOUring.backend == .ioUring)
        let refused = #expect(throws: LoopError.self) {
            _ = try EventLoop(
                clock: MonotonicClock(), backend: .automatic, environment: "io_uring", openRing: Self.refusal)
        }
        #expect(refused?.errno == EPERM)
        for value in ["", "automatic"] {
            let loop = try EventLoop(
                clock: MonotonicClock(), backend: .automatic, environment: value, preferred: .ioUring,
                openRing: Self.refusal)
            #expect(loop.backend == .epoll)
            #expect(loop.backendFallback?.errno == EPERM)
        }
    }

    @Test("an explicit backend ignores JOB_PROCESSOR_LOOP")
    func explicitBackendIgnoresEnvironment() throws {
        let loop = try EventLoop(clock: MonotonicClock(), backend: .epoll, environment: "io_uring", openRing: Self.refusal)
        #expect(loop.backend == .epoll)
    }

    @Test("a JOB_PROCESSOR_LOOP naming no backend is refused")
    func unknownEnvironmentValueIsRefused() {
        let error = #expect(throws: LoopError.self) {
            _ = try EventLoop(clock: MonotonicClock(), backend: .automatic, environment: "iouring", openRing: Self.refusal)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.operation.contains("JOB_PROCESSOR_LOOP=iouring") == true)
    }

    @Test("automatic picks the preferred backend where it is available")
    func automaticPicksThePreferredBackend() throws {
        let loop = try EventLoop(clock: MonotonicClock(), backend: .automatic, environment: nil) { () throws(LoopError) in
            try IOUringRing(entries: IOUringBackend.defaultEntries)
        }
        #expect(loop.backend == EventLoop.Backend.preferred)
        #expect(loop.backendFallback == nil)
    }

    @Test("backends are named as the environment variable spells them")
    func names() {
        #expect(backends.map(\.description) == ["epoll", "io_uring"])
        #expect(EventLoop.Backend.automatic.description == "automatic")
        for backend in backends + [.automatic] {
            #expect(EventLoop.Backend(name: backend.description) == backend)
        }
        #expect(EventLoop.Backend(name: "uring") == nil)
    }
}
