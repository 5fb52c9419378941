import Dispatch
import DequeModule
import Synchronization
import BSON

/// Runs CPU-bound handlers on Dispatch, at most `width` at once, so that they neither starve
/// the event loop nor occupy Swift's cooperative threads; the rest wait in FIFO order.
final class BoundedDispatchPool: Sendable {
    private struct State {
        var running = 0
        var waiting: Deque<@Sendable () -> Void> = []
    }

    private let queue: DispatchQueue
    private let width: Int
    private let state = Mutex(State())

    init(label: String, width: Int) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
        self.width = max(1, width)
    }

    /// Runs `work` as soon as fewer than `width` items are running. Complexity: O(1).
    func submit(_ work: @escaping @Sendable () -> Void) {
        let startNow = state.withLock { state in
            guard state.running < width else {
                state.waiting.append(work)
                return false
            }
            state.running += 1
            return true
        }
        if startNow { dispatch(work) }
    }

    private func dispatch(_ work: @escaping @Sendable () -> Void) {
        queue.async { [self] in
            work()
            let next: (@Sendable () -> Void)? = state.withLock { state in
                if let next = state.waiting.popFirst() { return next }
                state.running -= 1
                return nil
            }
            if let next { dispatch(next) }
        }
    }
}
