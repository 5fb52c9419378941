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
    /// The largest payload stored: MongoDB's 16 MiB document limit, less room for the job's
    /// own fields.
    public static let maxPayloadBytes = 16 * 1024 * 1024 - 64 * 1024

    /// Stores a job to run on some worker, now or at `date`. A worker in this process wakes at
    /// once (or arms a timer for `date`); other workers find it by polling.
    /// - Returns: the stored job: `pending`, or `skipped` when its name is exclusive and a twin
    ///   is active.
    /// - Throws: ``QueueError`` `unknownJob` for a name with no definition, `invalidPayload`
    ///   for a payload over ``maxPayloadBytes``, `store` when the store fails. Nothing is stored
    ///   then.
    @discardableResult
    public func schedule(_ name: String, payload: BSONDocument? = nil, at date: Date? = nil) async throws(QueueError) -> Job {
        let job = try newJob(name, payload: payload, at: date)
        let stored: Job
        do { stored = try await store.insert(job) } catch { throw QueueError(error) }
        if stored.status == .pending, let runtime {
            try? runtime.loop.execute { runtime.scheduler.wake(at: stored.scheduledFor) }
        }
        return stored
    }

    /// Stores a job and runs it now in this process, whether or not ``run()`` is under way,
    /// owned by this process's worker document (a temporary one when no worker runs here), so
    /// that a crash during the run is recovered like any other. Returns when it has ended.
    public func runInline(_ name: String, payload: BSONDocument? = nil) async throws(QueueError) -> InlineExitStatus {
        var job = try newJob(name, payload: payload, at: nil)
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
                        runtime.scheduler.start(stored) { continuation.resume(returning: $0?.status) }
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

    /// Kills a job from any process (SPEC §4 "Kill"): a pending or paused job becomes `killed`
    /// at once (and gets its `onJobExited` here); a running one is signalled through the store
    /// to its worker, which records `killed` and calls `onJobExited`; an ended job is left as
    /// it is.
    @discardableResult
    public func kill(_ id: ObjectId) async throws(QueueError) -> KillOutcome {
        let outcome: KillOutcome
        do { outcome = try await store.kill(id, at: Date()) } catch { throw QueueError(error) }
        switch outcome {
        case .killed(let job):
            if let onJobExited = configuration.definitions[job.name]?.onJobExited {
                do { try await onJobExited(job) } catch {
                    logger.error("onJobExited failed", metadata: ["job": "\(job.id)", "error": "\(JobEnding.describe(error))"])
                }
            }
        case .signalled(let worker):
            if let runtime, worker == runtime.scheduler.workerId {
                try? runtime.loop.execute { runtime.scheduler.checkSignals() }
            }
        case .alreadyEnded, .notFound:
            break
        }
        return outcome
    }

    /// The job with this id, or nil.
    public func job(id: ObjectId) async throws(QueueError) -> Job? {
        do { return try await store.job(id: id) } catch { throw QueueError(error) }
    }

    /// Jobs matching `query` (bounded by its limit).
    public func jobs(matching query: JobQuery) async throws(QueueError) -> [Job] {
        do { return try await store.jobs(matching: query) } catch { throw QueueError(error) }
    }

    /// A validated, not yet stored job.
    private func newJob(_ name: String, payload: BSONDocument?, at date: Date?) throws(QueueError) -> Job {
        guard let definition = configuration.jobs[name] else {
            let known = configuration.jobs.keys.sorted().joined(separator: ", ")
            throw QueueError(.unknownJob, "no job named \"\(name)\" is defined here (defined: \(known.isEmpty ? "none" : known))")
        }
        if let payload {
            // MongoDB's limits (SPEC §7), less room for the job's own fields: the payload is one
            // level and a few hundred bytes inside the stored document.
            do { try payload.checkStorable(maxDepth: 99, maxBytes: Self.maxPayloadBytes) } catch {
                throw QueueError(.invalidPayload, "the payload of \"\(name)\" cannot be stored: \(error)")
            }
        }
        if let date, !Job.storableDates.contains(date) {
            throw QueueError(.invalidDate, "\"\(name)\" is due at \(date), outside years 1 to 9999, the dates a store holds")
        }
        let now = Date()
        return Job(name: name, payload: payload, scheduledFor: date ?? now, updatedAt: now, createdAt: now,
                   concurrency: definition.concurrency)
    }
}
