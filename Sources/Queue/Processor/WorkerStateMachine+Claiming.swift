import Foundation
import Loop
import BSON

/// Claiming: one claim in flight at a time, for as many jobs as slots are free; polling with
/// back-off while nothing is due; the reconciliation of claims lost in an outage.
extension WorkerStateMachine {
    /// Claims due jobs while slots are free (one store round trip for the batch where the store
    /// can). Claimed jobs start at once and the next claim follows immediately, so a backlog
    /// drains at the store's pace. When a claim finds nothing, ``idle(now:into:)`` arms the next
    /// poll and reads when the next job is due. Queued endings go first: they claim for their
    /// slots when they are written (after the short wait ``EndingGather`` may give them), and a
    /// claim made now would only split them from their slots' claim.
    mutating func pump(now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard !endingsWaiting else { return flushEndings(now: now, date: date, into: &actions) }
        guard let free = claimableSlots else { return }
        claiming = true
        inFlight += 1
        if needsReconcile { return actions.append(.listClaims) }
        recheck = false
        actions.append(.claim(limit: free, at: date))
    }

    /// The number of free slots when this worker may claim now: it is running, claims, no
    /// claim is in flight, and a slot is free; nil otherwise.
    var claimableSlots: Int? {
        let free = settings.concurrency - running.count
        guard phase == .running, !claiming, free > 0, settings.claims else { return nil }
        return free
    }

    /// A claim came back (alone, or with endings: ``endingsWritten(_:_:claimed:took:now:date:)``).
    /// Starts its jobs, writes the endings that waited for it, and claims again while jobs come
    /// back; once none does, goes idle. Jobs claimed while shutting down go back unrun.
    mutating func claimed(_ result: Result<[Job], JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        claimReturned(result, now: now, date: date, into: &actions)
        checkDrained(into: &actions)
    }

    /// ``claimed(_:now:date:into:)`` without the bookkeeping of the request (also the claim
    /// half of a write of endings).
    mutating func claimReturned(_ result: Result<[Job], JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        claiming = false
        switch result {
        case .success(let jobs):
            Tracepoints.jobClaim(jobs.count, running: running.count)
            guard phase == .running else {
                for job in jobs { release(job, now: now, date: date, into: &actions) }
                flushEndings(now: now, date: date, into: &actions)
                return
            }
            claimBackoff.succeeded()
            storeAnswered(now: now, date: date)
            start(jobs, now: now, into: &actions)
            if !jobs.isEmpty {
                pollDelay = settings.pollInterval.lowerBound
                wantNewJobReports(false, into: &actions)  // busy: it claims again anyway
            }
            flushEndings(now: now, date: date, into: &actions)
            // Queued endings claim for their slots when written, after their short wait: also
            // for a job that became due meanwhile (`recheck`).
            if claiming || endingsWaiting { return }
            if !jobs.isEmpty || recheck { pump(now: now, date: date, into: &actions) } else { idle(now: now, into: &actions) }
        case .failure(let error):
            // A claim that failed in the store may have been applied with its reply lost.
            if StoreOutage.counts(error) { needsReconcile = true }
            storeFailed(error, "claiming failed", now: now)
            flushEndings(now: now, date: date, into: &actions)
            armPoll(after: claimBackoff.failed(random: random()), now: now, into: &actions)
        }
    }

    /// The store listed the jobs it shows running on this worker (``Action/listClaims``): those
    /// it never started are claims whose reply was lost in an outage, which nothing else would
    /// ever end while this worker lives (SPEC §7); they go back to `pending`. The listing stands
    /// in for a claim, so no claim of this worker takes a job meanwhile. Inline runs (`sync`)
    /// are started by their own call, never by a claim, and the tasks of cron ticks under way
    /// are the ticks': both are left alone. What this worker knows is read now, after the list
    /// came back, so that a job it learnt of while the list was read is never released.
    mutating func claimsListed(
        _ result: Result<[RunningJobReference], JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]
    ) {
        switch result {
        case .success(let listed):
            storeAnswered(now: now, date: date)
            let known = unrecordedEndings.union(running.keys).union(cronTicksUnderWay)
            let lost = listed.filter { !known.contains($0.id) && !$0.sync }.map(\.id)
            actions.append(.releaseLostClaims(lost, at: date))  // still in flight, still claiming
        case .failure(let error):
            inFlight -= 1
            claiming = false
            storeFailed(error, "could not look for jobs claimed while the store was failing", now: now)
            armPoll(after: claimBackoff.failed(random: random()), now: now, into: &actions)
            flushEndings(now: now, date: date, into: &actions)
            checkDrained(into: &actions)
        }
    }

    /// The lost claims are released (`released` of them; nil if the call failed): claim again.
    mutating func lostClaimsReleased(_ released: Int?, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        claiming = false
        needsReconcile = false
        if let released, released > 0 {
            logger.notice("released jobs whose claim was lost while the store was failing", metadata: ["count": "\(released)"])
        }
        pump(now: now, date: date, into: &actions)
        flushEndings(now: now, date: date, into: &actions)
        checkDrained(into: &actions)
    }

    /// Nothing is due: back off the poll interval, and read when the next job is due so that it
    /// starts on time rather than at the next poll.
    private mutating func idle(now: LoopInstant, into actions: inout [Action]) {
        pollDelay = min(pollDelay * 2, settings.pollInterval.upperBound)
        armPoll(now: now, into: &actions)
        wantNewJobReports(true, into: &actions)  // before the read below, which covers what was written meanwhile
        inFlight += 1
        actions.append(.readNextDue)
    }

    /// The next due date was read (nil: no job pending). A failed read changes nothing: the
    /// next poll finds the job.
    mutating func nextDueRead(_ result: Result<Date?, JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        if case .success(let due) = result {
            storeAnswered(now: now, date: date)
            if let due { wake(at: due, now: now, date: date, into: &actions) }
        }
        checkDrained(into: &actions)
    }

    /// Tells the store's watch whether reports of new jobs are wanted, when that changes.
    private mutating func wantNewJobReports(_ wanted: Bool, into actions: inout [Action]) {
        guard wanted != newJobReportsWanted else { return }
        newJobReportsWanted = wanted
        actions.append(.wantNewJobReports(wanted))
    }

    /// Polls again after `delay`, ``pollDelay`` by default (finds jobs other processes created).
    mutating func armPoll(after delay: Duration? = nil, now: LoopInstant, into actions: inout [Action]) {
        guard phase == .running else { return }
        actions.append(.arm(.poll, at: now + (delay ?? pollDelay)))
    }

    /// A job becomes due at `due` (scheduled in this process, reported by the store's watch,
    /// or read by ``idle(now:into:)``): claim now if it is due, otherwise arm the due timer
    /// when it is earlier than the armed one.
    mutating func wake(at due: Date, now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard phase == .running else { return }
        let deadline = Self.deadline(for: due, now: now, date: date)
        if deadline <= now {
            pollDelay = settings.pollInterval.lowerBound
            if claiming { recheck = true } else { pump(now: now, date: date, into: &actions) }
            return
        }
        if let armed = dueDeadline, deadline >= armed { return }
        dueDeadline = deadline
        actions.append(.arm(.due, at: deadline))
    }

    // MARK: Starting

    /// Starts an inline run's job (``JobProcessor/sync``), which no claim took; `onRecorded`
    /// gets the job as stored after its ending (nil if it could not be recorded).
    mutating func startInline(
        _ job: Job, onRecorded: @escaping @Sendable (Job?) -> Void, now: LoopInstant, into actions: inout [Action]
    ) {
        guard let entry = register(job, onRecorded: onRecorded, now: now, into: &actions) else { return }
        actions.append(.startHandlers([entry]))
    }

    /// A cron tick stored its task `running` for this worker (the tick runs it here without a
    /// claim, so that it starts on time): start it, unless this worker already runs it (it
    /// claimed it when another worker's attempt had stored it pending); while shutting down it
    /// goes back to `pending` unrun.
    mutating func cronTaskTaken(_ task: Job, now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard !runsOrRan(task.id) else { return }
        guard phase == .running else { return release(task, now: now, date: date, into: &actions) }
        guard let entry = register(task, onRecorded: nil, now: now, into: &actions) else { return }
        actions.append(.startHandlers([entry]))
    }

    /// Registers claimed jobs as running and asks for their handlers to start.
    private mutating func start(_ jobs: [Job], now: LoopInstant, into actions: inout [Action]) {
        guard !jobs.isEmpty else { return }
        var entries: [RunningJob] = []
        entries.reserveCapacity(jobs.count)
        for job in jobs {
            if let entry = register(job, onRecorded: nil, now: now, into: &actions) { entries.append(entry) }
        }
        gather.started(at: now)
        actions.append(.startHandlers(entries))
    }

    /// Adds a job to the running table (arming its maximum runtime), or nil when this worker
    /// has no definition for it: impossible for claimed jobs (claims are scoped by declared
    /// names); an inline job of an unknown name is refused before it is stored.
    private mutating func register(
        _ job: Job, onRecorded: (@Sendable (Job?) -> Void)?, now: LoopInstant, into actions: inout [Action]
    ) -> RunningJob? {
        guard let definition = definitions[job.name] else {
            logger.error("claimed a job with no definition here", metadata: ["job": "\(job.id)", "name": "\(job.name)"])
            onRecorded?(nil)
            return nil
        }
        let entry = RunningJob(job: job, definition: definition, signal: JobSignal(), startedAt: now, onRecorded: onRecorded)
        if let maxRuntime = definition.maxRuntime {
            actions.append(.arm(.maxRuntime(job.id), at: now + maxRuntime))
        }
        running[job.id] = Run(entry: entry)
        Tracepoints.handlerStart(job)
        logger.debug("job started", metadata: ["job": "\(job.id)", "name": "\(job.name)"])
        return entry
    }

    /// A job claimed while shutting down (or a cron task taken while shutting down) goes back
    /// to `pending` unrun: an ending like any other, written and retried with them, with no
    /// `onJobExited`.
    mutating func release(_ job: Job, now: LoopInstant, date: Date, into actions: inout [Action]) {
        guard let definition = definitions[job.name] else { return }
        let entry = RunningJob(job: job, definition: definition, signal: JobSignal(), startedAt: now, onRecorded: nil)
        queue(entry, FinishRequest(job.id, by: workerId, as: .pending, output: nil, at: date, claimed: job),
              now: now, into: &actions)
    }

    /// Whether this worker runs the job, or ran it and has not recorded its ending yet.
    func runsOrRan(_ id: ObjectId) -> Bool {
        running[id] != nil || unrecordedEndings.contains(id)
    }
}
