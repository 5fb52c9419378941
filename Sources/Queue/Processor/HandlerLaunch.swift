import Foundation
import Synchronization
import Tracing
import BSON

/// An async handler's task, ready to be created (see ``Scheduler/launch(_:)``).
struct HandlerLaunch: Sendable {
    let entry: RunningJob
    let handler: JobDefinition.Handler
    let scheduler: Scheduler

    /// Creates the handler's task on the global executor. Any thread, the loop's included.
    func startTask() {
        attach(Task { await body() })
    }

    /// Creates the handler's task and runs it on this thread until it first suspends or
    /// returns (`Task.immediate`), saving the task's trip through the global executor's queue
    /// and the wake-up of another thread for it. Never on the loop thread: handlers never run
    /// there.
    func startHere() {
        scheduler.loop.preconditionNotInLoop()
        attach(Task.immediate { await body() })
    }

    /// Hands the task to the signal, which cancels it when it fires.
    private func attach(_ task: Task<Void, Never>) {
        entry.signal.attach(task)
    }

    /// Runs the handler and reports its outcome; the signal drops the task once the handler has
    /// returned, so the finished task is freed on this thread, not with the signal on the loop.
    private func body() async {
        let outcome: HandlerOutcome
        do { outcome = .returned(try await runHandler()) } catch {
            outcome = .thrown(error)
        }
        entry.signal.detach()
        scheduler.report(entry.job.id, outcome)
    }
}

extension HandlerLaunch {
    /// The handler, in the context of its run's span when a tracer runs (the spans it starts are
    /// the run's children).
    private func runHandler() async throws -> BSON? {
        guard let context = scheduler.configuration.instrumentation?.runContext(entry.job.id) else {
            return try await handler(entry.job, entry.signal)
        }
        return try await ServiceContext.withValue(context) { try await handler(entry.job, entry.signal) }
    }
}

/// The async handlers of one claimed batch, each started in its own task by whichever worker
/// threads get to it first.
///
/// Why: a task created from a worker thread goes through the global executor's queue, and on
/// a busy machine each one wakes another worker thread, which runs it and sleeps again: two
/// context switches per handler. Here one task started from the loop takes the batch's
/// handlers one after another and starts each with ``HandlerLaunch/startHere()``: a handler
/// that returns or suspends at once costs no queueing and no wake-up. So that a handler that
/// keeps its thread busy before it suspends delays no other start more than a queued task
/// would wait for a free thread, the first task also creates one helper per other processor,
/// which takes handlers from the same batch.
final class HandlerBatch: Sendable {
    private let launches: [HandlerLaunch]
    /// The next launch to take; taken once each, by any thread.
    private let next = Atomic<Int>(0)

    /// Worker threads beside the one running the first task: Swift's global executor has one
    /// per processor.
    private static let helpers = max(0, ProcessInfo.processInfo.activeProcessorCount - 1)

    init(_ launches: [HandlerLaunch]) {
        self.launches = launches
    }

    /// Creates the task that starts the batch, with its helpers. Any thread; O(1) here.
    func start() {
        let helpers = min(Self.helpers, launches.count - 1)
        Task {
            for _ in 0..<helpers { Task { self.startRemaining() } }
            self.startRemaining()
        }
    }

    /// Starts handlers of the batch not yet taken, until none is left. Worker threads only.
    private func startRemaining() {
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < launches.count else { return }
            launches[index].startHere()
        }
    }
}
