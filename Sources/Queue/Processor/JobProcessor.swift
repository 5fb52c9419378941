import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import BSON

/// The job processor: a worker that claims and runs jobs (a swift-service-lifecycle `Service`),
/// with a ``JobClient`` that knows its definitions to schedule them: the seed's
/// `initJobProcessor` in one value. A process that only schedules or reads jobs needs a
/// ``JobClient`` alone.
///
/// ```swift
/// let processor = try JobProcessor(QueueConfiguration(store: store, logger: logger, jobs: [
///     "send-mail": JobDefinition { job, signal in try await send(job.payload); return nil },
/// ]))
/// try await ServiceGroup(services: [processor], gracefulShutdownSignals: [.sigterm], logger: logger).run()
/// // elsewhere: try await processor.schedule("send-mail", payload: ["to": "a@example.com"])
/// ```
///
/// It is a swift-service-lifecycle `Service`: ``run()`` works until graceful shutdown (or
/// ``stop()``), then interrupts running jobs, waits up to the grace period, records their final
/// status and removes its worker document.
public final class JobProcessor: Service, Sendable {
    private enum Phase {
        case idle
        case running(ProcessorRuntime)
        case stopRequested
        case stopped
    }

    /// This worker's id (its document in `job_processor.workers`).
    public let workerId = ObjectId()
    let configuration: QueueConfiguration
    let cpuPool: BoundedDispatchPool
    private let phase = Mutex(Phase.idle)

    /// Schedules, kills and reads jobs; knows this processor's definitions.
    public let client: JobClient

    /// Checks the configuration; starts nothing.
    /// - Throws: ``QueueError`` `invalidConfiguration` naming the setting at fault.
    public init(_ configuration: QueueConfiguration) throws(QueueError) {
        try configuration.validate()
        var configuration = configuration
        configuration.instrument()
        self.configuration = configuration
        cpuPool = BoundedDispatchPool(label: "job-processor.cpu", width: configuration.cpuConcurrency)
        let wake = WakeTarget()
        client = JobClient(
            store: configuration.store, logger: configuration.logger, definitions: configuration.jobs,
            exitHandlers: configuration.definitions.compactMapValues(\.onJobExited),
            onScheduled: { due in wake.processor?.wake(at: due) }, instrumentation: configuration.instrumentation)
        wake.processor = self
    }

    /// Wakes this processor's worker, if it runs, for a job due at `due`.
    private func wake(at due: Date) {
        guard let runtime else { return }
        try? runtime.loop.execute { runtime.scheduler.wake(at: due) }
    }

    var store: any JobStore { configuration.store }
    var logger: Logger { configuration.logger }

    /// Prepares the store, registers this worker and processes jobs until graceful shutdown or
    /// ``stop()``; returns once the worker has shut down.
    public func run() async throws {
        do { try await store.prepare() } catch { throw QueueError(error) }
        try JobOptionsCheck.check(configuration.jobs, on: store)
        if let shared = store as? any NodeVersionSharing, shared.nodeValidatorInstalled,
           configuration.deadWorkerTimeout < .seconds(90)
        {
            logger.warning(
                "this database is the Node version's, whose workers beat every 30 s: with this dead-worker timeout they would be declared dead (see QueueConfiguration.useNodeVersionDefaults())",
                metadata: ["deadWorkerTimeout": "\(configuration.deadWorkerTimeout)"])
        }
        let runtime = try await ProcessorRuntime.start(configuration, workerId: workerId, claiming: true, cpuPool: cpuPool)
        let stopEarly = phase.withLock { phase in
            if case .stopRequested = phase { return true }
            phase = .running(runtime)
            return false
        }
        logger.info("worker started", metadata: [
            "worker": "\(workerId)", "jobs": "\(configuration.claimableNames.joined(separator: ","))",
            "concurrency": "\(configuration.concurrency)",
        ])
        if stopEarly {
            runtime.shutdown()
        } else {
            // Jobs scheduled in this process while the worker was starting did not wake it
            // (there was no runtime to wake yet): look once more, now that there is.
            try? runtime.loop.execute { runtime.scheduler.wake(at: Date()) }
        }
        await withGracefulShutdownHandler {
            await runtime.waitUntilStopped()
        } onGracefulShutdown: {
            self.stop()
        }
        phase.withLock { $0 = .stopped }
    }

    /// Shuts the worker down gracefully (any thread); ``run()`` returns when it is done.
    public func stop() {
        let runtime: ProcessorRuntime? = phase.withLock { phase in
            switch phase {
            case .idle:
                phase = .stopRequested
                return nil
            case .running(let runtime): return runtime
            case .stopRequested, .stopped: return nil
            }
        }
        runtime?.shutdown()
    }

    /// The running runtime, if ``run()`` is under way.
    var runtime: ProcessorRuntime? {
        phase.withLock { if case .running(let runtime) = $0 { runtime } else { nil } }
    }
}

/// The processor a client wakes, set once the processor exists (the client is built in the
/// processor's initialiser, before `self` can be captured). Weak, so that the client does not
/// keep its processor alive.
private final class WakeTarget: @unchecked Sendable {  // safe: written once in JobProcessor.init before the client can be used, read-only after
    weak var processor: JobProcessor?
}
