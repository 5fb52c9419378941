import Dispatch
import Foundation
import Synchronization
import BSON
import Queue

/// A fixed set of threads for blocking calls (libmongoc), so that none runs on the event loop
/// or on Swift's cooperative pool.
///
/// Work items run in submission order, each on whichever thread is free. ``shutdown()`` runs
/// what was already submitted, then ends the threads; work submitted after it fails with the
/// error its submitter passes. Threads start in ``start()``, never in `init`.
final class IOThreadPool: Sendable {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        var stopping = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    private let threadCount: Int
    private let name: String

    /// - Parameter threads: how many calls may block at once.
    init(name: String, threads: Int) {
        self.name = name
        threadCount = max(1, threads)
    }

    /// Starts the threads.
    func start() {
        for index in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                runWorker()
                finished.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues `work` for a free thread; returns false when the pool is shutting down.
    @discardableResult
    func submit(_ work: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state in
            guard !state.stopping else { return false }
            state.queue.append(work)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Runs what was submitted, then ends every thread; returns when they have ended.
    func shutdown() {
        let first = state.withLock { state in
            defer { state.stopping = true }
            return !state.stopping
        }
        guard first else { return }
        for _ in 0..<threadCount { available.signal() }
        finished.wait()
    }

    private func runWorker() {
        while true {
            available.wait()
            let work: (@Sendable () -> Void)? = state.withLock { state in
                guard state.head < state.queue.count else { return nil }
                let work = state.queue[state.head]
                state.head += 1
                if state.head > 1024, state.head * 2 > state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return work
            }
            if let work {
                work()
            } else if state.withLock({ $0.stopping && $0.head >= $0.queue.count }) {
                return
            }
        }
    }
}
