import Foundation
import Loop
import BSON

/// Endings: from a handler's outcome to the store, in batches, retried until the store takes
/// them (SPEC §7 "Outages": while its worker lives, no job stays `running` after its handler
/// ended).
extension WorkerStateMachine {
    /// Handlers returned, threw, or were abandoned: decide each ending, free the slots, and
    /// queue the endings for the store. A late return from an abandoned handler finds no entry
    /// and is ignored.
    mutating func handlersEnded(
        _ outcomes: [(id: ObjectId, outcome: HandlerOutcome)], now: LoopInstant, date: Date, into actions: inout [Action]
    ) {
        for (id, outcome) in outcomes { handlerEnded(id, outcome, now: now, date: date, into: &actions) }
    }

    /// One handler ended (see ``handlersEnded(_:now:date:into:)``).
    mutating func handlerEnded(_ id: ObjectId, _ outcome: HandlerOutcome, now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard let run = running.removeValue(forKey: id) else {
            logger.info("an abandoned handler returned after its job was recorded", metadata: ["job": "\(id)"])
            return
        }
        let entry = run.entry
        if run.interruption != nil { actions.append(.cancel(.grace(id))) }
        if entry.definition.maxRuntime != nil { actions.append(.cancel(.maxRuntime(id))) }
        if case .abandoned = outcome {
            logger.warning("handler ignored its signal for the grace period: recording the job and freeing its slot",
                           metadata: ["job": "\(id)", "name": "\(entry.job.name)"])
        }
        let ending = JobEnding.decide(
            outcome, signal: run.interruption, resumable: entry.definition.resumable, duration: now - entry.startedAt)
        Tracepoints.handlerEnd(id, ending.status, from: entry.startedAt, to: now)
        if settings.reportsRuns { actions.append(.runEnded(entry, ending.status, duration: now - entry.startedAt)) }
        if entry.checkIn != nil {
            switch ending.status {
            case .finished: waitFor(.checkIn(entry, .ok), into: &actions)
            case .errored, .killed: waitFor(.checkIn(entry, .error), into: &actions)
            default: break  // paused: the task resumes later and reports then
            }
        }
        let resumeAt = ending.status == .paused && run.interruption == .maxRuntimeExceeded ? resumeTime(after: entry, date: date) : nil
        let stored = storable(ending, of: entry.job)
        var request = FinishRequest(
            id, by: workerId, as: stored.status, output: stored.output, at: date, resumeAt: resumeAt, claimed: entry.job)
        // An ending `storable` turned into an error (a result too large) is not a failed attempt.
        if stored.status == .errored, ending.status == .errored { countFailedAttempt(of: entry, outcome, into: &request) }
        queue(entry, request, now: now, into: &actions)
    }

    /// Counts an ending `errored` by a failed attempt (a throw, a maximum runtime or a shutdown
    /// that interrupted a job that is not resumable) against the job's retry policy: with
    /// attempts left the job goes back to `pending`, due after the back-off, and gets no
    /// `onJobExited` yet; with none left, or after ``DoNotRetry``, it ends `errored` with its
    /// attempts recorded. A kill ends it for good, and a job whose definition and own maximum
    /// give one attempt records nothing (``RetryPolicy/failedAttempt(of:definition:error:retryable:at:random:)``).
    /// An inline run (`sync`) is never retried: its caller waits for its one ending.
    private func countFailedAttempt(of entry: RunningJob, _ outcome: HandlerOutcome, into request: inout FinishRequest) {
        guard request.status == .errored, !entry.job.sync, let error = request.output?.error else { return }
        let retryable: Bool
        switch outcome {
        case .threwFinal: retryable = false
        case .returned, .threw, .abandoned: retryable = true
        }
        guard let decision = RetryPolicy.failedAttempt(
            of: entry.job, definition: entry.definition, error: error, retryable: retryable, at: request.at, random: random())
        else { return }
        request.failure = decision.failure
        if let retryAt = decision.retryAt {
            request.status = .pending
            request.resumeAt = retryAt
            logger.info("job failed; retrying", metadata: [
                "job": "\(entry.job.id)", "attempt": "\(decision.failure.attempts)", "retryAt": "\(retryAt)",
            ])
        }
    }

    /// Fires a running job's signal (which cancels its task) and arms its grace period: a
    /// handler that has not returned by then is abandoned, recorded as interrupted, its slot
    /// freed. A job signalled already keeps its first reason.
    mutating func interrupt(_ id: ObjectId, _ reason: JobSignal.Reason, now: LoopInstant, into actions: inout [Action]) {
        guard let run = running[id], run.interruption == nil else { return }
        running[id]?.interruption = reason
        actions.append(.fireSignal(run.entry, reason))
        actions.append(.arm(.grace(id), at: now + settings.shutdownGracePeriod))
    }

    /// When a run paused for exceeding its maximum runtime may resume: at its cron's next tick,
    /// or one maximum runtime from now for a job that is not a cron task. Never at once, which
    /// would only run into the limit again.
    private func resumeTime(after entry: RunningJob, date: Date) -> Date {
        if let cron = crons.first(where: { $0.name == entry.job.name }), let next = cron.next(after: date) { return next }
        let limit = entry.definition.maxRuntime ?? .seconds(60)
        return date.addingTimeInterval(limit.timeInterval)
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

    /// Queues an ending and asks for a settle pass, so that it is written with the others
    /// that reach the loop meanwhile.
    mutating func queue(_ entry: RunningJob, _ request: FinishRequest, now: LoopInstant, into actions: inout [Action]) {
        endings.append(entry, request)
        gather.queued(at: now)
        guard !settling else { return }
        settling = true
        inFlight += 1
        actions.append(.settleLater)
    }

    /// The settle pass: the loop has taken in every ending that reached it so far, so handlers
    /// that ended together are recorded in one store call and their slots refilled by one
    /// claim, instead of one of each per ending.
    mutating func settled(now: LoopInstant, date: Date, into actions: inout [Action]) {
        settling = false
        inFlight -= 1
        pump(now: now, date: date, into: &actions)  // or writes the queued endings, which claim for their slots
        checkDrained(into: &actions)
    }

    /// Writes every queued ending in one store call, unless a write or a claim is in flight:
    /// then they wait for it and go together in the next one (group commit: a busy worker
    /// writes its endings in batches, an idle one each at once). When slots are free, the same
    /// call claims jobs for them (``JobStore/finish(_:thenClaim:now:limit:)``). While other
    /// handlers run, the endings may first wait briefly for theirs (``EndingGather``).
    mutating func flushEndings(now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard !recordingEndings, !claiming, !endings.isEmpty else { return }
        if let deadline = gather.waitUntil(now: now, othersRunning: !running.isEmpty, draining: phase != .running) {
            guard !gatherArmed else { return }  // it fires earlier and waits again if it must
            gatherArmed = true
            inFlight += 1
            actions.append(.arm(.endingGather, at: deadline))
            return
        }
        recordingEndings = true
        gather.flushed()
        let batch = endings.takeAll()
        writingEndings = batch
        let free = claimableSlots
        if free != nil {
            claiming = true
            recheck = false
        }
        inFlight += 1
        actions.append(.writeEndings(batch, thenClaim: free, at: date))
    }

    /// The jobs whose handlers ended here and whose endings are not yet recorded: queued, being
    /// written, or waiting to be written again.
    var unrecordedEndings: Set<ObjectId> {
        Set([endings, writingEndings, retryingEndings].flatMap { $0.requests.map(\.id) })
    }

    /// Endings are queued and no call is writing them: the next write (and the claim for their
    /// slots) is theirs.
    var endingsWaiting: Bool { !endings.isEmpty && !recordingEndings }

    /// A batch of endings came back from the store (one result per request, in order), with
    /// the claim made in the same call if one was (``Action/writeEndings(_:thenClaim:at:)``);
    /// `took` is how long the call took, which bounds how long later endings wait for others.
    mutating func endingsWritten(
        _ batch: QueuedEndings, _ results: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>?,
        took: Duration, now: LoopInstant, date: Date, into actions: inout [Action]
    ) {
        inFlight -= 1
        gather.lastWrite = took
        recordingEndings = false
        writingEndings = QueuedEndings()
        var anyFailed = false
        for index in batch.entries.indices {
            let outcome = index < results.count
                ? results[index]
                : .failure(JobStoreError(.database, operation: "finish", reason: "the store returned no result for this ending"))
            if case .failure = outcome { anyFailed = true } else { storeAnswered(now: now, date: date) }
            recorded(batch.entries[index], batch.requests[index], outcome, now: now, date: date, into: &actions)
        }
        if !anyFailed { endingBackoff.succeeded() }
        flushEndings(now: now, date: date, into: &actions)
        if let claimed { claimReturned(claimed, now: now, date: date, into: &actions) }
        checkDrained(into: &actions)
    }

    /// One ending came back from the store.
    private mutating func recorded(
        _ entry: RunningJob, _ request: FinishRequest, _ outcome: Result<Job?, JobStoreError>, now: LoopInstant, date: Date,
        into actions: inout [Action]
    ) {
        let id = request.id
        switch outcome {
        case .success(nil) where failedEndings[id] != nil:
            // An earlier write of it failed after it may have been applied: the store tells.
            inFlight += 1
            actions.append(.verifyEnding(entry, request))
        case .success(let job):
            failedEndings[id] = nil
            if entry.onRecorded != nil { actions.append(.recorded(entry, job)) }
            guard let job else {
                logger.info("job was no longer running on this worker; its ending was not recorded",
                            metadata: ["job": "\(id)", "ending": "\(request.status.rawValue)"])
                return
            }
            logger.debug("job ended", metadata: ["job": "\(id)", "status": "\(job.status.rawValue)"])
            if job.status != .paused, job.status != .pending, let onJobExited = entry.definition.onJobExited {
                waitFor(.callExitHandler(onJobExited, job), into: &actions)
            }
        case .failure(let error):
            retryLater(entry, request, error, now: now, into: &actions)
        }
    }

    /// An ending that failed before came back "not running on this worker": either an earlier
    /// write was applied after all (its reply lost) or the job was killed or taken over
    /// meanwhile. The stored job tells: ours shows this ending's time with no worker.
    mutating func endingVerified(
        _ entry: RunningJob, _ request: FinishRequest, _ result: Result<Job?, JobStoreError>, now: LoopInstant, date: Date,
        into actions: inout [Action]
    ) {
        inFlight -= 1
        let id = request.id
        if case .success = result { storeAnswered(now: now, date: date) }
        switch result {
        case .success(let job?)
        where BSONWriter.milliseconds(job.updatedAt) == BSONWriter.milliseconds(request.at) && job.workerId == nil
            && job.status != .running:
            failedEndings[id] = nil
            recorded(entry, request, .success(job), now: now, date: date, into: &actions)
        case .success:
            failedEndings[id] = nil
            recorded(entry, request, .success(nil), now: now, date: date, into: &actions)
        case .failure(let error):
            retryLater(entry, request, error, now: now, into: &actions)
        }
        checkDrained(into: &actions)
    }

    /// Keeps an ending whose write failed and writes it again after the ending back-off (SPEC
    /// §7: until the store takes it or the worker stops). A write the store refused for what it
    /// holds, rather than for being unreachable, is retried as a plain `errored` ending naming
    /// the reason, which any store can hold.
    private mutating func retryLater(
        _ entry: RunningJob, _ request: FinishRequest, _ error: JobStoreError, now: LoopInstant, into actions: inout [Action]
    ) {
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
                        metadata: ["job": "\(request.id)"], now: now)
        }
        retryingEndings.append(entry, retry)
        armEndingRetry(now: now, into: &actions)
    }

    /// Arms the retry of failed endings after the next back-off delay, unless one is armed.
    private mutating func armEndingRetry(now: LoopInstant, into actions: inout [Action]) {
        guard !endingRetryArmed else { return }
        if abandonUnwrittenEndingsIfLate(now: now, into: &actions) { return }
        endingRetryArmed = true
        inFlight += 1
        actions.append(.arm(.endingRetry, at: now + endingBackoff.failed(random: random())))
    }

    /// While shutting down, once every handler has ended and the grace period is over, endings
    /// that the store still refuses are left to crash recovery: logged, and dropped. Returns
    /// whether it dropped them.
    mutating func abandonUnwrittenEndingsIfLate(now: LoopInstant, into actions: inout [Action]) -> Bool {
        guard phase != .running, running.isEmpty, let began = shutdownBegan,
              now >= began + settings.shutdownGracePeriod, !retryingEndings.isEmpty
        else { return false }
        let abandoned = retryingEndings.takeAll()
        logger.error("shutting down with job endings the store did not take; crash recovery will end these jobs",
                     metadata: ["jobs": "\(abandoned.requests.map { "\($0.id)" }.joined(separator: ","))"])
        for entry in abandoned.entries {
            failedEndings[entry.job.id] = nil
            if entry.onRecorded != nil { actions.append(.recorded(entry, nil)) }
        }
        return true
    }
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
