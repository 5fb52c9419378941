import Foundation
import Loop
import BSON

/// Endings: from a handler's outcome to the store, in batches, retried until the store takes
/// them (SPEC §7 "Outages": while its worker lives, no job stays `running` after its handler
/// ended).
extension Scheduler {
    /// Queues the ending for the store (guarded by this worker still owning the job); once
    /// recorded, `onJobExited` gets the final job unless the job was only paused (or released).
    func record(_ entry: RunningJob, _ ending: JobEnding, now: LoopInstant, date: Date, resumeAt: Date?) {
        let ending = storable(ending, of: entry.job)
        let request = FinishRequest(
            entry.job.id, by: workerId, as: ending.status, output: ending.output, at: date, resumeAt: resumeAt,
            claimed: entry.job)
        queue(entry, request, now: now)
    }

    /// `ending`, or, when its result would make the job's document more than MongoDB stores
    /// (over 16 MiB with the payload, or nested over 100 levels), an `errored` ending saying so
    /// (SPEC §7: "result too large"), so that the job never stays `running` on a write the
    /// store refuses. Only documents and arrays are checked: a scalar result is always small.
    private func storable(_ ending: JobEnding, of job: Job) -> JobEnding {
        guard let result = ending.output.result else { return ending }
        switch result {
        case .document, .array: break
        default: return ending
        }
        var stored: BSONDocument = ["output": ["result": result]]
        if let payload = job.payload { stored["payload"] = .document(payload) }
        do {
            try stored.checkStorable(maxBytes: JobProcessor.maxPayloadBytes)
            return ending
        } catch {
            logger.error("a job's result is too large to store; recording it errored", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return JobEnding(status: .errored, output: JobOutput(duration: ending.output.duration, error: "result too large: \(error)"))
        }
    }

    /// Queues an ending and arranges for it to be written with the others that arrive meanwhile.
    func queue(_ entry: RunningJob, _ request: FinishRequest, now: LoopInstant) {
        endings.append(entry, request)
        gather.queued(at: now)
        settleAfterEndings()
    }

    /// Writes the queued endings and claims for the freed slots once the loop has taken in every
    /// ending that reached it so far: handlers that end together are recorded in one store call
    /// and their slots refilled by one claim, instead of one of each per ending. Counted in
    /// ``inFlight`` until it runs, so that shutdown waits for it.
    private func settleAfterEndings() {
        guard !settling else { return }
        settling = true
        inFlight += 1
        let settle: @Sendable () -> Void = {
            self.settling = false
            self.pump()  // or writes the queued endings, which claim for their slots
            self.inFlight -= 1
            self.checkDrained()
        }
        do { try loop.execute(settle) } catch {
            settle()  // the loop is stopping: there is no later pass
        }
    }

    /// Writes every queued ending in one store call, unless a write or a claim is in flight:
    /// then they wait for it and go together in the next one (group commit: a busy worker
    /// writes its endings in batches, an idle one each at once). When slots are free, the same
    /// call claims jobs for them (``JobStore/finish(_:thenClaim:now:limit:)``): a busy worker
    /// records endings and refills their slots in one store call. While other handlers run, the
    /// endings may first wait briefly for theirs (``EndingGather``).
    func flushEndings() {
        guard !recordingEndings, !claiming, !endings.isEmpty else { return }
        let began = loop.now
        if let deadline = gather.waitUntil(now: began, othersRunning: !running.isEmpty, draining: phase != .running) {
            waitForEndings(until: deadline)
            return
        }
        recordingEndings = true
        gather.flushed()
        let batch = endings.takeAll()
        writingEndings = batch
        let store = store
        let requests = batch.requests
        guard let (scope, free) = claimableSlots() else {
            perform({ () async throws(JobStoreError) in await store.finish(requests) }, reportsOutcomes: true) { result in
                self.gather.lastWrite = self.loop.now - began
                let results = (try? result.get()) ?? []  // never a failure: finish(_:) reports each request
                self.endingsRecorded(batch, results)
            }
            return
        }
        claiming = true
        recheck = false
        perform({ () async throws(JobStoreError) in
            await store.finish(requests, thenClaim: scope, now: Date(), limit: free)
        }, reportsOutcomes: true) { result in
            self.gather.lastWrite = self.loop.now - began
            switch result {
            case .success(let outcome):
                self.endingsRecorded(batch, outcome.endings)
                self.claimed(outcome.claimed)
            case .failure(let error):  // not thrown by the call (each part reports its own), but handled
                self.endingsRecorded(batch, batch.requests.map { _ in .failure(error) })
                self.claimed(.failure(error))
            }
        }
    }

    /// Flushes the queued endings at `deadline`, unless a flush is already armed (it fires
    /// earlier and waits again if it must). Counted in ``inFlight`` until it fires, so that
    /// shutdown waits for it.
    private func waitForEndings(until deadline: LoopInstant) {
        guard gather.timer == nil else { return }
        inFlight += 1
        gather.timer = loop.schedule(at: deadline) { event in
            self.gather.timer = nil
            if case .fired = event {
                self.pump()  // or writes the queued endings, which claim for their slots
            }
            self.inFlight -= 1
            self.checkDrained()
        }
    }

    /// The jobs whose handlers ended here and whose endings are not yet recorded: queued, being
    /// written, or waiting to be written again.
    var unrecordedEndings: Set<ObjectId> {
        Set([endings, writingEndings, retryingEndings].flatMap { $0.requests.map(\.id) })
    }

    /// Endings are queued and no call is writing them: the next write (and the claim for their
    /// slots) is theirs.
    var endingsWaiting: Bool { !endings.isEmpty && !recordingEndings }

    /// A batch of endings came back from the store; the next batch may go.
    private func endingsRecorded(_ batch: QueuedEndings, _ results: [Result<Job?, JobStoreError>]) {
        recordingEndings = false
        writingEndings = QueuedEndings()
        var anyFailed = false
        for index in batch.entries.indices {
            let outcome = index < results.count
                ? results[index]
                : .failure(JobStoreError(.database, operation: "finish", reason: "the store returned no result for this ending"))
            if case .failure = outcome { anyFailed = true } else { storeAnswered() }
            recorded(batch.entries[index], batch.requests[index], outcome)
        }
        if !anyFailed { endingBackoff.succeeded() }
        flushEndings()
    }

    /// One ending came back from the store.
    private func recorded(_ entry: RunningJob, _ request: FinishRequest, _ outcome: Result<Job?, JobStoreError>) {
        let id = request.id
        switch outcome {
        case .success(nil) where failedEndings[id] != nil:
            // An earlier write of it failed after it may have been applied: the store tells.
            verifyEnding(entry, request)
        case .success(let job):
            failedEndings[id] = nil
            entry.onRecorded?(job)
            guard let job else {
                logger.info("job was no longer running on this worker; its ending was not recorded",
                            metadata: ["job": "\(id)", "ending": "\(request.status.rawValue)"])
                return
            }
            logger.debug("job ended", metadata: ["job": "\(id)", "status": "\(job.status.rawValue)"])
            if job.status != .paused, job.status != .pending, let onJobExited = entry.definition.onJobExited {
                callExitHandler(onJobExited, job)
            }
        case .failure(let error):
            retryLater(entry, request, error)
        }
    }

    /// Keeps an ending whose write failed and writes it again after the ending back-off (SPEC
    /// §7: until the store takes it or the worker stops). A write the store refused for what it
    /// holds, rather than for being unreachable, is retried as a plain `errored` ending naming
    /// the reason, which any store can hold.
    private func retryLater(_ entry: RunningJob, _ request: FinishRequest, _ error: JobStoreError) {
        var state = failedEndings[request.id] ?? FailedEnding()
        state.attempts += 1
        var retry = request
        // A store that refuses the same ending twice for what it holds will not take it: write
        // one it can hold instead, rather than retry for ever while the job stays running.
        let refusedForContent = error.code == .invalidJob || error.code == .invalidDocument
            || (error.code != .unavailable && state.attempts >= 2)
        if refusedForContent, !state.refused {
            state.refused = true
            retry = FinishRequest.refused(request, reason: error.description)
        }
        failedEndings[request.id] = state
        if state.attempts == 1 {
            storeFailed(error, "could not record a job's ending; it will be written again",
                        metadata: ["job": "\(request.id)"])
        }
        retryingEndings.append(entry, retry)
        armEndingRetry()
    }

    /// Arms the retry of failed endings after the next back-off delay, unless one is armed.
    /// Counted in ``inFlight`` until it fires, so that shutdown waits for it (within its grace
    /// period: ``abandonUnwrittenEndingsIfLate()``).
    private func armEndingRetry() {
        guard endingRetryTimer == nil else { return }
        if abandonUnwrittenEndingsIfLate() { return }
        inFlight += 1
        let delay = endingBackoff.failed(random: Double.random(in: 0..<1))
        endingRetryTimer = loop.schedule(after: delay) { event in
            self.endingRetryTimer = nil
            if case .fired = event, !self.abandonUnwrittenEndingsIfLate() {
                let retries = self.retryingEndings.takeAll()
                for index in retries.entries.indices {
                    self.queue(retries.entries[index], retries.requests[index], now: self.loop.now)
                }
            }
            self.inFlight -= 1
            self.checkDrained()
        }
    }

    /// While shutting down, once every handler has ended and the grace period is over, endings
    /// that the store still refuses are left to crash recovery: logged, and dropped. Returns
    /// whether it dropped them.
    private func abandonUnwrittenEndingsIfLate() -> Bool {
        guard phase != .running, running.isEmpty, let began = shutdownBegan,
              loop.now >= began + configuration.shutdownGracePeriod, !retryingEndings.isEmpty
        else { return false }
        let abandoned = retryingEndings.takeAll()
        logger.error("shutting down with job endings the store did not take; crash recovery will end these jobs",
                     metadata: ["jobs": "\(abandoned.requests.map { "\($0.id)" }.joined(separator: ","))"])
        for entry in abandoned.entries {
            failedEndings[entry.job.id] = nil
            entry.onRecorded?(nil)
        }
        return true
    }

    /// An ending that failed before came back "not running on this worker": either an earlier
    /// write was applied after all (its reply lost) or the job was killed or taken over
    /// meanwhile. The stored job tells: ours shows this ending's time with no worker.
    private func verifyEnding(_ entry: RunningJob, _ request: FinishRequest) {
        let store = store
        let id = request.id
        let stamp = BSONWriter.milliseconds(request.at)
        perform({ () async throws(JobStoreError) in try await store.job(id: id) }) { result in
            switch result {
            case .success(let job?)
            where BSONWriter.milliseconds(job.updatedAt) == stamp && job.workerId == nil && job.status != .running:
                self.failedEndings[id] = nil
                self.recorded(entry, request, .success(job))
            case .success:
                self.failedEndings[id] = nil
                self.recorded(entry, request, .success(nil))
            case .failure(let error):
                self.retryLater(entry, request, error)
            }
        }
    }
}

/// What a worker remembers of an ending whose write failed, until the store takes it.
struct FailedEnding: Sendable, Equatable {
    /// Failed writes so far.
    var attempts = 0
    /// Whether the store refused it for what it holds, so that a plain `errored` ending is
    /// written in its place.
    var refused = false
}

extension FinishRequest {
    /// `request` as a plain `errored` ending saying why the store refused it: what is written
    /// instead of an ending the store cannot hold (a result it refuses, say), at the same time.
    static func refused(_ request: FinishRequest, reason: String) -> FinishRequest {
        let output = JobOutput(duration: request.output?.duration, error: "the job's ending could not be stored: \(reason)")
        return FinishRequest(
            request.id, by: request.workerId, as: .errored, output: output, at: request.at, resumeAt: nil,
            claimed: request.claimed)
    }
}
