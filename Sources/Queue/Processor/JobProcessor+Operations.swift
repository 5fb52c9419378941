import Foundation
import BSON

/// The exit status of an inline run (SPEC §3): what a command-line wrapper exits with.
public enum InlineExitStatus: Int32, Sendable {
    /// The job finished.
    case finished = 0
    /// The job errored (or was skipped: an exclusive twin was active).
    case errored = 1
    /// The job was interrupted or killed.
    case interrupted = 2
}

extension JobProcessor {
    /// The largest payload stored (``JobClient/maxPayloadBytes``).
    public static let maxPayloadBytes = JobClient.maxPayloadBytes
    /// How many jobs each part of ``status()`` lists at most.
    public static let statusLimit = JobClient.statusLimit

    /// Stores a job to run on some worker, now or at `date`, with its definition's concurrency
    /// and, unless given here, its priority (``JobClient/schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)``).
    /// A worker in this process wakes at once (or arms a timer for `date`); other workers find it
    /// by polling.
    /// - Throws: ``QueueError`` `unknownJob` for a name with no definition here, and what the
    ///   client throws.
    @discardableResult
    public func schedule(
        _ name: String, payload: BSONDocument? = nil, at date: Date? = nil, priority: Int? = nil, expiresAt: Date? = nil,
        uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) async throws(QueueError) -> Job {
        try await client.schedule(
            name, payload: payload, at: date, priority: priority, expiresAt: expiresAt, uniqueKey: uniqueKey,
            maxAttempts: maxAttempts)
    }

    /// Stores a job and runs it now in this process, whether or not ``run()`` is under way,
    /// owned by this process's worker document (a temporary one when no worker runs here), so
    /// that a crash during the run is recovered like any other. Returns when it has ended.
    public func runInline(_ name: String, payload: BSONDocument? = nil) async throws(QueueError) -> InlineExitStatus {
        var job = try client.newJob(name, payload: payload, at: nil, concurrency: .concurrent, priority: nil)
        let temporary: ProcessorRuntime?
        let runtime: ProcessorRuntime
        if let running = self.runtime {
            (runtime, temporary) = (running, nil)
            job.workerId = workerId
        } else {
            let inlineWorker = ObjectId()
            runtime = try await ProcessorRuntime.start(configuration, workerId: inlineWorker, claiming: false, cpuPool: cpuPool)
            temporary = runtime
            job.workerId = inlineWorker
        }
        job.status = .running
        job.startedAt = job.createdAt
        job.sync = true
        let stored: Job
        do { stored = try await store.insert(job) } catch {
            temporary?.shutdown()
            await temporary?.waitUntilStopped()
            throw QueueError(error)
        }
        let final: JobStatus? = if stored.status == .running {
            await withCheckedContinuation { continuation in
                do {
                    try runtime.loop.execute {
                        runtime.scheduler.startInline(stored) { continuation.resume(returning: $0?.status) }
                    }
                } catch {
                    continuation.resume(returning: nil)
                }
            }
        } else {
            stored.status
        }
        if let temporary {
            temporary.shutdown()
            await temporary.waitUntilStopped()
        }
        switch final {
        case .finished: return .finished
        case .killed, .paused, nil: return .interrupted
        default: return .errored
        }
    }

    /// Kills a job from any process (``JobClient/kill(_:)``); a job running on this worker is
    /// interrupted at once rather than at its next signal check.
    @discardableResult
    public func kill(_ id: ObjectId) async throws(QueueError) -> KillOutcome {
        let outcome = try await client.kill(id)
        if case .signalled(let worker) = outcome, let runtime, worker == runtime.scheduler.workerId {
            try? runtime.loop.execute { runtime.scheduler.checkSignals() }
        }
        return outcome
    }

    /// The job with this id, or nil.
    public func job(id: ObjectId) async throws(QueueError) -> Job? { try await client.job(id: id) }

    /// Jobs matching `query` (bounded by its limit).
    public func jobs(matching query: JobQuery) async throws(QueueError) -> [Job] { try await client.jobs(matching: query) }

    /// ``JobClient/status(jobNames:)`` for the job names defined here.
    public func status() async throws(QueueError) -> ProcessorStatus {
        try await client.status(jobNames: Array(configuration.jobs.keys))
    }
}
