import Dispatch
import Glibc

extension EventLoop {
    /// Runs an async program whose loops receive SIGTERM and SIGINT through their signalfd, and
    /// exits with the status `body` returns. Call it from a synchronous `main` (top-level code
    /// without `await`, or a `@main` type's synchronous `main()`).
    ///
    /// Why: a signal reaches a signalfd only when every thread blocks it, and an async `main`
    /// starts Swift's executor threads before its first statement runs, so blocking there is too
    /// late and SIGTERM kills the process. Here the signals are blocked first; every thread
    /// created afterwards (Dispatch, the cooperative pool, loop threads) inherits the mask.
    public static func runMain(_ body: @escaping @Sendable () async -> Int32) -> Never {
        blockTerminationSignals()
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status: Int32 = 0  // safe: written once by the task before it signals `finished`, read only after the wait
        Task {
            status = await body()
            finished.signal()
        }
        finished.wait()
        exit(status)
    }
}
