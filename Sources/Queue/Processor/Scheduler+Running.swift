import Foundation
import Loop
import BSON

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
        configuration.instrumentation?.started(job, worker: workerId)
        Tracepoints.handlerStart(job)
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
        Tracepoints.handlerEnd(id, ending.status, from: entry.startedAt, to: now)
        configuration.instrumentation?.ended(entry.job, ending.status, duration: now - entry.startedAt)
        switch ending.status {
        case .finished: sendCheckIn(entry, .ok)
        case .errored, .killed: sendCheckIn(entry, .error)
        default: break  // paused: the task resumes later and reports then
        }
        record(entry, ending, now: now, date: date,
               resumeAt: ending.status == .paused && entry.signal.reason == .maxRuntimeExceeded ? resumeTime(after: entry) : nil)
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

