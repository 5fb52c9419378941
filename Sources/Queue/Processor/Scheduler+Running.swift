import Foundation
import Loop

extension Scheduler {
    /// Runs a claimed (or inline) job's handler: as a task for async handlers, on the bounded
    /// Dispatch pool for CPU-bound ones. The outcome comes back to
    /// ``handlerEnded(_:_:now:date:)`` on the loop thread; `onRecorded` receives the job as
    /// stored after its ending (nil if it could not be recorded).
    func start(_ job: Job, onRecorded: (@Sendable (Job?) -> Void)? = nil) {
        var launches: [HandlerLaunch] = []
        start(job, onRecorded: onRecorded, at: loop.now, launching: &launches)
        launch(launches)
    }

    /// Runs a batch of claimed jobs' handlers, as ``start(_:onRecorded:)`` does for one.
    func start(_ jobs: [Job]) {
        var launches: [HandlerLaunch] = []
        launches.reserveCapacity(jobs.count)
        let now = loop.now
        for job in jobs { start(job, onRecorded: nil, at: now, launching: &launches) }
        if !jobs.isEmpty { gather.started(at: now) }
        launch(launches)
    }

    /// Registers a job as running and starts its handler; an async handler's task is only
    /// prepared, added to `launches` for ``launch(_:)``.
    private func start(
        _ job: Job, onRecorded: (@Sendable (Job?) -> Void)?, at now: LoopInstant, launching launches: inout [HandlerLaunch]
    ) {
        loop.preconditionInLoop()
        guard let definition = definitions[job.name] else {
            // Cannot happen for claimed jobs (the claim is scoped by declared names); an inline
            // job of an unknown name is refused before it is stored.
            logger.error("claimed a job with no definition here", metadata: ["job": "\(job.id)", "name": "\(job.name)"])
            onRecorded?(nil)
            return
        }
        let signal = JobSignal()
        let entry = RunningJob(job: job, definition: definition, signal: signal, startedAt: now, onRecorded: onRecorded)
        let id = job.id
        switch definition.body {
        case .async(let handler):
            launches.append(HandlerLaunch(entry: entry, handler: handler, scheduler: self))
        case .cpuBound(let handler):
            cpuPool.submit {
                let outcome: HandlerOutcome
                do { outcome = .returned(try handler(job, signal)) } catch { outcome = .threw(JobEnding.describe(error)) }
                self.report(id, outcome)
            }
        }
        if job.type == .cronTask, configuration.cronMonitor != nil, let cron = crons.first(where: { $0.name == job.name }) {
            entry.checkIn = (cron, UUID())
            sendCheckIn(entry, .inProgress)
        }
        if let maxRuntime = definition.maxRuntime {
            entry.runtimeTimer = loop.schedule(after: maxRuntime) { event in
                guard case .fired = event else { return }
                self.interrupt(id, .maxRuntimeExceeded)
            }
        }
        running[id] = entry
        logger.debug("job started", metadata: ["job": "\(id)", "name": "\(job.name)"])
    }

    /// Creates the async handlers' tasks (on the global executor, never on the loop): one
    /// handler's task here; a batch's through one ``HandlerBatch`` task, so that the loop pays
    /// one task creation and at most one worker-thread wake-up per batch, not per job.
    private func launch(_ launches: [HandlerLaunch]) {
        switch launches.count {
        case 0: return
        case 1: launches[0].startTask()
        default: HandlerBatch(launches).start()
        }
    }

    /// Hands a handler's outcome to ``handlerEnded(_:_:now:date:)`` on the loop thread, through
    /// the ``OutcomeInbox``: one loop callback for every outcome posted until it runs. Any
    /// thread.
    func report(_ id: ObjectId, _ outcome: HandlerOutcome) {
        guard outcomes.post(id, outcome) else { return }  // a take is already queued
        do { try loop.execute { self.takeOutcomes() } } catch {
            // The loop stops only after every running job has ended or been abandoned.
        }
    }

    /// Ends, in the order they were posted, the handlers whose outcomes are in the inbox: all at
    /// one reading of the clocks (they arrived together).
    private func takeOutcomes() {
        outcomes.take(into: &takenOutcomes)
        let (now, date) = (loop.now, Date())
        for (id, outcome) in takenOutcomes { handlerEnded(id, outcome, now: now, date: date) }
        takenOutcomes.removeAll(keepingCapacity: true)
    }

    /// Fires a running job's signal and cancels its task; if the handler has not returned after
    /// the grace period, the job is abandoned: recorded as interrupted, its slot freed.
    func interrupt(_ id: ObjectId, _ reason: JobSignal.Reason) {
        loop.preconditionInLoop()
        guard let entry = running[id], entry.signal.fire(reason) else { return }  // also cancels the handler's task
        entry.graceTimer = loop.schedule(after: configuration.shutdownGracePeriod) { event in
            guard case .fired = event else { return }
            self.handlerEnded(id, .abandoned, now: self.loop.now, date: Date())
        }
    }

    /// A handler returned, threw, or was abandoned: decide the ending, free the slot, record it.
    /// A late return from an abandoned handler finds no entry and is ignored. `now` and `date`
    /// are the loop's and the wall clock's readings for the ending.
    func handlerEnded(_ id: ObjectId, _ outcome: HandlerOutcome, now: LoopInstant, date: Date) {
        loop.preconditionInLoop()
        guard let entry = running.removeValue(forKey: id) else {
            logger.info("an abandoned handler returned after its job was recorded", metadata: ["job": "\(id)"])
            return
        }
        if let timer = entry.graceTimer { loop.cancel(timer) }
        if let timer = entry.runtimeTimer { loop.cancel(timer) }
        if case .abandoned = outcome {
            logger.warning("handler ignored its signal for the grace period: recording the job and freeing its slot",
                           metadata: ["job": "\(id)", "name": "\(entry.job.name)"])
        }
        let ending = JobEnding.decide(
            outcome, signal: entry.signal.reason, resumable: entry.definition.resumable,
            duration: now - entry.startedAt)
        switch ending.status {
        case .finished: sendCheckIn(entry, .ok)
        case .errored, .killed: sendCheckIn(entry, .error)
        default: break  // paused: the task resumes later and reports then
        }
        record(entry, ending, now: now, date: date,
               resumeAt: ending.status == .paused && entry.signal.reason == .maxRuntimeExceeded ? resumeTime(after: entry) : nil)
    }

    /// Queues the ending for the store (guarded by this worker still owning the job); once
    /// recorded, `onJobExited` gets the final job unless the job was only paused.
    private func record(_ entry: RunningJob, _ ending: JobEnding, now: LoopInstant, date: Date, resumeAt: Date?) {
        let request = FinishRequest(
            entry.job.id, by: workerId, as: ending.status, output: ending.output, at: date, resumeAt: resumeAt,
            claimed: entry.job)
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
        let store = store
        let requests = batch.requests
        guard let (scope, free) = claimableSlots() else {
            perform({ () async throws(JobStoreError) in await store.finish(requests) }) { result in
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
        }) { result in
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

    /// Endings are queued and no call is writing them: the next write (and the claim for their
    /// slots) is theirs.
    var endingsWaiting: Bool { !endings.isEmpty && !recordingEndings }

    /// A batch of endings came back from the store; the next batch may go.
    private func endingsRecorded(_ batch: QueuedEndings, _ results: [Result<Job?, JobStoreError>]) {
        recordingEndings = false
        for (index, outcome) in zip(batch.entries.indices, results) { recorded(batch.entries[index], batch.requests[index], outcome) }
        flushEndings()
    }

    /// One ending came back from the store.
    private func recorded(_ entry: RunningJob, _ request: FinishRequest, _ outcome: Result<Job?, JobStoreError>) {
        let id = request.id
        entry.onRecorded?(try? outcome.get())
        switch outcome {
        case .success(let job?):
            logger.debug("job ended", metadata: ["job": "\(id)", "status": "\(job.status.rawValue)"])
            if job.status != .paused, let onJobExited = entry.definition.onJobExited {
                callExitHandler(onJobExited, job)
            }
        case .success(nil):
            logger.info("job was no longer running on this worker; its ending was not recorded",
                        metadata: ["job": "\(id)", "ending": "\(request.status.rawValue)"])
        case .failure(let error):
            logger.error("could not record a job's ending", metadata: ["job": "\(id)", "error": "\(error)"])
        }
    }

    /// Sends a cron task's check-in to the configured monitor, off the loop; shutdown waits for
    /// it (the monitor bounds its own time).
    private func sendCheckIn(_ entry: RunningJob, _ status: CronCheckIn.Status) {
        // The entry first: reading the monitor copies an existential, for every job.
        guard let (cron, id) = entry.checkIn, let monitor = configuration.cronMonitor else { return }
        let definition = cron.definition
        let checkIn = CronCheckIn(
            cronName: cron.name, status: status, checkInId: id, schedule: definition.cronString,
            timeZone: cron.timeZone, checkinMargin: definition.checkinMargin,
            maxRuntimeInMinutes: definition.maxRuntimeInMinutes,
            duration: status.isFinal ? loop.now - entry.startedAt : nil, taskId: "\(entry.job.id)")
        detached { await monitor.checkIn(checkIn) }
    }

    /// When a run paused for exceeding its max runtime may resume: at its cron's next tick, or
    /// one max runtime from now for a job that is not a cron task. Never at once, which would
    /// only run into the limit again.
    private func resumeTime(after entry: RunningJob) -> Date {
        let now = Date()
        if let cron = crons.first(where: { $0.name == entry.job.name }), let next = cron.next(after: now) { return next }
        let limit = entry.definition.maxRuntime ?? .seconds(60)
        return now.addingTimeInterval(limit.timeInterval)
    }

    /// Calls `onJobExited`; its failures are logged and never change the job.
    func callExitHandler(_ handler: @escaping JobDefinition.ExitHandler, _ job: Job) {
        let logger = logger
        detached {
            do { try await handler(job) } catch {
                logger.error("onJobExited failed", metadata: ["job": "\(job.id)", "error": "\(JobEnding.describe(error))"])
            }
        }
    }
}

