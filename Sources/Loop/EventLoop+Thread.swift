import CEpoll
import Glibc

extension EventLoop {
    /// The signals the loop turns into events: SIGTERM (`kill`, service managers) and SIGINT
    /// (Ctrl-C).
    public static let terminationSignals: [Int32] = [SIGTERM, SIGINT]

    /// Blocks ``terminationSignals`` in the calling thread and so in every thread it creates
    /// afterwards; idempotent.
    ///
    /// Call it first thing in `main`, before anything spawns a thread (an `await`, Dispatch,
    /// Foundation, a logger backend, a loop thread): a signal goes to the signalfd only when no
    /// thread of the process accepts it. A process that cannot do that can instead be started
    /// with the signals already blocked (the mask is inherited across `exec`).
    public static func blockTerminationSignals() {
        do {
            try SignalFd.pthreadSigmaskBlock(terminationSignals)
        } catch {
            // Only EINVAL is possible, for an invalid `how`: a bug here, not a runtime condition.
            fatalError("\(error)")
        }
    }

    /// Creates a loop and runs it on a new thread named `name` (at most 15 bytes are kept);
    /// returns once that thread is inside ``run()``, so ``inLoop`` and timers work at once.
    ///
    /// The thread is detached: it ends after the loop stops; ``waitUntilStopped()`` waits for
    /// the loop's shutdown. It inherits the calling thread's signal mask.
    ///
    /// - Throws: ``LoopError`` from ``init(clock:backend:)``, or `pthread_create`'s error.
    public static func startThread(
        name: String = "event-loop",
        clock: any LoopClock = MonotonicClock(),
        backend: Backend = .automatic
    ) throws(LoopError) -> EventLoop {
        let loop = try EventLoop(clock: clock, backend: backend)
        try spawnThread(name: name) { loop.run() }
        loop.lifecycle.wait(for: .running)
        return loop
    }

    /// Blocks until the loop has stopped: ``run()`` has finished its shutdown. Any thread but
    /// the loop thread (where it would wait for itself: it traps). Returns at once if the loop
    /// already stopped; never returns for a loop that is never run.
    public func waitUntilStopped() {
        preconditionNotInLoop()
        lifecycle.wait(for: .stopped)
    }

    /// Like ``waitUntilStopped()`` but gives up after `timeout`; returns whether the loop
    /// stopped. For tests and bounded shutdowns.
    public func waitUntilStopped(timeout: Duration) -> Bool {
        preconditionNotInLoop()
        return lifecycle.wait(for: .stopped, timeout: timeout)
    }

    /// Whether ``run()`` has finished its shutdown.
    public var isStopped: Bool {
        lifecycle.current == .stopped
    }

    /// Starts a detached thread named `name` running `body`. The closure must be `@Sendable`:
    /// it runs on the new thread.
    static func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) throws(LoopError) {
        let context = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
            _ = cepoll_set_thread_name(String(decoding: start.name.utf8.prefix(15), as: UTF8.self))
            start.body()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            throw LoopError.syscall("pthread_create", errno: result)
        }
        pthread_detach(thread)
    }
}

/// What a new thread runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart: Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
