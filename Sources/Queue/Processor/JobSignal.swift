import Synchronization
import BSON

/// The cancellation signal handed to a handler: the Swift counterpart of the seed's
/// `AbortSignal`.
///
/// It fires once, with a reason, when the job is killed, exceeds its maximum run time, or the
/// worker shuts down. Handlers may poll it (``isCancelled``, ``checkCancellation()``), await it
/// (``cancelled()``), or observe it (``onCancel(_:)``); the processor also cancels the handler's
/// Swift task, so `Task.isCancelled` and cancellation-aware APIs (`Task.sleep`) see it too.
/// A handler that ignores it is abandoned after the grace period.
public final class JobSignal: Sendable {
    /// Why the signal fired.
    public enum Reason: String, Sendable, Hashable {
        /// The job was killed (from any process).
        case killed
        /// A cron task ran longer than its `maxRuntimeInMinutes`.
        case maxRuntimeExceeded
        /// The worker is shutting down.
        case shutdown
    }

    /// Thrown by ``checkCancellation()``.
    public struct Cancelled: Error, Sendable, CustomStringConvertible {
        /// Why the signal fired.
        public let reason: Reason
        /// The error for a signal that fired for `reason`.
        public init(reason: Reason) { self.reason = reason }
        public var description: String { "job cancelled: \(reason.rawValue)" }
    }

    private struct State {
        var reason: Reason?
        var observers: [@Sendable (Reason) -> Void] = []
        var waiters: [CheckedContinuation<Reason, Never>] = []
        /// The handler's task, cancelled when the signal fires.
        var task: Task<Void, Never>?
        /// The handler has returned (``detach()``): its task is no longer kept.
        var detached = false
    }

    private let state = Mutex(State())

    /// A signal that has not fired.
    public init() {}

    /// Whether the signal has fired.
    public var isCancelled: Bool { reason != nil }

    /// Why it fired, or nil.
    public var reason: Reason? { state.withLock { $0.reason } }

    /// Throws ``Cancelled`` once the signal has fired.
    public func checkCancellation() throws(Cancelled) {
        if let reason { throw Cancelled(reason: reason) }
    }

    /// Calls `observer` once when the signal fires (at once, on this thread, if it already has).
    /// Observers run on the thread that fires the signal: keep them short.
    public func onCancel(_ observer: @escaping @Sendable (Reason) -> Void) {
        let fired: Reason? = state.withLock { state in
            if state.reason == nil { state.observers.append(observer) }
            return state.reason
        }
        if let fired { observer(fired) }
    }

    /// Suspends until the signal fires and returns why. Does not end on task cancellation by
    /// itself: the processor fires the signal whenever it cancels the task.
    public func cancelled() async -> Reason {
        await withCheckedContinuation { continuation in
            let fired: Reason? = state.withLock { state in
                if state.reason == nil { state.waiters.append(continuation) }
                return state.reason
            }
            if let fired { continuation.resume(returning: fired) }
        }
    }

    /// Makes firing the signal also cancel `task` (the handler's); cancels it at once if the
    /// signal has already fired.
    package func attach(_ task: Task<Void, Never>) {
        let fired = state.withLock { state in
            if state.reason == nil, !state.detached { state.task = task }
            return state.reason != nil
        }
        if fired { task.cancel() }
    }

    /// Forgets the handler's task once the handler has returned, also when the task is attached
    /// only afterwards (a task started at once can return before ``attach(_:)``): firing no
    /// longer needs to cancel it, and the finished task is then freed by the thread it ran on
    /// rather than with the signal, on the loop thread.
    package func detach() {
        let task = state.withLock { state in
            defer { (state.task, state.detached) = (nil, true) }
            return state.task
        }
        _ = task  // released here, outside the lock
    }

    /// Fires the signal, then cancels the attached task; later calls do nothing. Returns
    /// whether this call fired it.
    @discardableResult
    package func fire(_ reason: Reason) -> Bool {
        let fired: State? = state.withLock { state in
            guard state.reason == nil else { return nil }
            let before = state
            state = State(reason: reason)
            return before
        }
        guard let fired else { return false }
        fired.observers.forEach { $0(reason) }
        fired.waiters.forEach { $0.resume(returning: reason) }
        fired.task?.cancel()
        return true
    }
}
