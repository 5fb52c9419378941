import Dispatch
import Glibc
import Synchronization
import Testing

@testable import Loop

// Helpers shared by the loop tests. Nothing here sleeps: every wait is for a condition, with a
// deadline, so a broken loop fails the test instead of hanging the suite.

/// The backends every loop test runs on.
let backends: [EventLoop.Backend] = [.epoll, .ioUring]

/// How long a test waits for something that should happen within microseconds. Generous so a
/// loaded 2-core CI machine does not flake; a passing test never waits this long.
let patience: Duration = .seconds(10)

/// A count-down latch: `wait` returns once `signal` has been called `count` times.
final class Latch: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let count: Int

    init(count: Int = 1) {
        self.count = count
    }

    func signal() {
        semaphore.signal()
    }

    /// Waits for all `count` signals; `false` if `timeout` passed first.
    func wait(timeout: Duration = patience) -> Bool {
        let deadline = DispatchTime.now() + .nanoseconds(Int(timeout.saturatingNanoseconds))
        for _ in 0..<count where semaphore.wait(timeout: deadline) == .timedOut {
            return false
        }
        return true
    }
}

/// A thread-safe list that callbacks append to and tests read.
final class Recorder<Element: Sendable>: Sendable {
    private let storage = Mutex<[Element]>([])

    func append(_ element: Element) {
        storage.withLock { $0.append(element) }
    }

    var values: [Element] {
        storage.withLock { $0 }
    }
}

extension EventLoop {
    /// Waits until the loop has run everything this thread submitted before (work, timers
    /// scheduled, cancellations, manual-clock advances): a barrier, not a sleep.
    func flush(timeout: Duration = patience) -> Bool {
        let done = Latch()
        do {
            try execute { done.signal() }
        } catch {
            return false
        }
        return done.wait(timeout: timeout)
    }

    /// Runs `body` on the loop thread and returns its result.
    func onLoop<Result: Sendable>(_ body: @escaping @Sendable () -> Result) throws -> Result {
        let result = Mutex<Result?>(nil)
        let done = Latch()
        try execute {
            result.withLock { $0 = body() }
            done.signal()
        }
        #expect(done.wait())
        return try #require(result.withLock { $0 })
    }
}

/// Starts a loop thread on `clock` and `backend`, runs `body`, then stops the loop and waits
/// for it.
func withLoop(
    clock: any LoopClock = MonotonicClock(),
    backend: EventLoop.Backend,
    _ body: (EventLoop) throws -> Void
) throws {
    let loop = try EventLoop.startThread(name: "loop-test", clock: clock, backend: backend)
    #expect(loop.backend == backend)
    defer {
        loop.stop()
        #expect(loop.waitUntilStopped(timeout: patience))
    }
    try body(loop)
}

/// Runs `body(index)` on `count` new threads at once and joins them all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Start: Sendable {
        let index: Int
        let body: @Sendable (Int) -> Void
        init(index: Int, body: @escaping @Sendable (Int) -> Void) {
            self.index = index
            self.body = body
        }
    }
    var threads: [pthread_t] = []
    for index in 0..<count {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(Start(index: index, body: body)).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
            start.body(start.index)
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        threads.append(thread)
    }
    for thread in threads {
        pthread_join(thread, nil)
    }
}
