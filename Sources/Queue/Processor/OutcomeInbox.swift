import Synchronization
import BSON

/// Handlers' outcomes on their way to the loop thread: handlers that end together reach the
/// scheduler with one loop wake-up and one queued callback, not one of each per handler.
///
/// Why: a busy worker's handlers end in bursts (a batch is claimed and started together), and
/// each `loop.execute` costs a closure allocation, a turn of the loop's submission lock and a
/// callback. Here a handler appends its outcome under a lock; only the one that finds the
/// inbox unscheduled asks the loop to take it, and the loop takes every outcome posted by then
/// in one swap. Outcomes are taken in the order they were posted.
///
/// Thread-safe: ``post(_:_:)`` from any thread, ``take(into:)`` on the loop thread.
final class OutcomeInbox: Sendable {
    private struct State {
        var outcomes: [(id: ObjectId, outcome: HandlerOutcome)] = []
        /// A take is queued on the loop and has not yet run: later posts need not queue another.
        var takeQueued = false
    }

    private let state = Mutex(State())

    /// An empty inbox.
    init() {}

    /// Adds a handler's outcome. Returns `true` when the caller must queue a
    /// ``take(into:)`` on the loop (no take was queued since the last one ran). O(1) amortised.
    func post(_ id: ObjectId, _ outcome: HandlerOutcome) -> Bool {
        state.withLock { state in
            state.outcomes.append((id, outcome))
            defer { state.takeQueued = true }
            return !state.takeQueued
        }
    }

    /// Moves every posted outcome into `buffer` (which must be empty; its capacity is reused
    /// for the next batch), oldest first; posts from now on queue a new take. O(1) under the
    /// lock.
    func take(into buffer: inout [(id: ObjectId, outcome: HandlerOutcome)]) {
        state.withLock { state in
            state.takeQueued = false
            swap(&state.outcomes, &buffer)
        }
    }
}
