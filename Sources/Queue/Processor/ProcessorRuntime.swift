import Foundation
import Loop
import BSON

/// An event loop thread with its scheduler and worker document: what a running processor is.
///
/// Started by ``JobProcessor/run()`` (claiming jobs), or briefly by an inline run in a process
/// with no running processor (claiming nothing), so that every job running anywhere is owned
/// by a live worker document with a heartbeat (SPEC §4, "Inline jobs").
final class ProcessorRuntime: Sendable {
    let loop: EventLoop
    let scheduler: Scheduler
    private let stopped: AsyncStream<Void>
    private let stoppedContinuation: AsyncStream<Void>.Continuation

    /// Registers the worker document, starts the loop thread and the scheduler.
    static func start(
        _ configuration: QueueConfiguration, workerId: ObjectId, claiming: Bool, cpuPool: BoundedDispatchPool
    ) async throws(QueueError) -> ProcessorRuntime {
        let store = configuration.store
        do {
            try await store.registerWorker(WorkerRecord(
                id: workerId, hostname: ProcessInfo.processInfo.hostName, tags: configuration.workerTags,
                lastSeen: Date()))
        } catch { throw QueueError(error) }
        let loop: EventLoop
        do { loop = try EventLoop.startThread(name: "job-processor") } catch {
            throw QueueError(.notRunning, "the event loop could not start: \(error)")
        }
        let runtime = ProcessorRuntime(
            loop: loop, configuration: configuration, workerId: workerId, claiming: claiming, cpuPool: cpuPool)
        do {
            try loop.execute { runtime.scheduler.start() }
        } catch {
            throw QueueError(.notRunning, "the event loop stopped before the processor started")
        }
        if configuration.handlesTerminationSignals {
            loop.onSignal { _ in runtime.scheduler.beginShutdown() }
        }
        return runtime
    }

    private init(
        loop: EventLoop, configuration: QueueConfiguration, workerId: ObjectId, claiming: Bool,
        cpuPool: BoundedDispatchPool
    ) {
        self.loop = loop
        (stopped, stoppedContinuation) = AsyncStream.makeStream()
        let continuation = stoppedContinuation
        scheduler = Scheduler(
            loop: loop, configuration: configuration, workerId: workerId, claiming: claiming, cpuPool: cpuPool
        ) {
            continuation.finish()
            loop.stop()
        }
    }

    /// Asks the scheduler to shut down gracefully (any thread).
    func shutdown() {
        try? loop.execute { self.scheduler.beginShutdown() }
    }

    /// Returns when the scheduler has stopped and removed its worker document.
    func waitUntilStopped() async {
        for await _ in stopped {}
    }
}
