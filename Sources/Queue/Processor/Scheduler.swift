import Foundation
import Logging
import Loop
import Synchronization
import BSON

/// The worker's shell on the event loop: feeds events to its ``WorkerStateMachine`` with the
/// clocks' readings, and carries out the actions the machine returns (store calls, timers,
/// handlers, signals). What a worker decides is the machine's; what the shell adds is I/O.
/// Beside the machine it runs the crons' ticks, the retention of old jobs and the store's
/// watch, which only feed it events.
///
/// Threading: every method runs on the loop thread (each entry point checks). Store calls run
/// as tasks whose results come back through `loop.execute`, so the loop never blocks and never
/// runs user code; handlers run as tasks or on the bounded Dispatch pool.
final class Scheduler: @unchecked Sendable {  // safe: mutable state is only touched on `loop`'s thread: every method runs in a loop callback (execute, timers), and the ones called from elsewhere check loop.preconditionInLoop()
    typealias Action = WorkerStateMachine.Action

    let loop: EventLoop
    let configuration: QueueConfiguration
    let store: any JobStore
    let scope: ClaimScope
    let logger: Logger
    let cpuPool: BoundedDispatchPool
    /// Called once on the loop thread when the worker has stopped.
    let onStopped: @Sendable () -> Void

    /// What the worker decides.
    var machine: WorkerStateMachine
    /// The loop timers armed for the machine.
    var timers: [WorkerStateMachine.Timer: TimerHandle] = [:]
    /// Handlers' outcomes posted from their threads, and the loop's buffer to take them into.
    let outcomes = OutcomeInbox()
    var takenOutcomes: [(id: ObjectId, outcome: HandlerOutcome)] = []
    /// The store's notification of new jobs, when it has one.
    var watch: (any JobWatch)?
    /// Each cron's next tick.
    var cronTimers: [String: TimerHandle] = [:]
    /// Consecutive ticks another worker took, per cron (see `tick`).
    var cronMisses: [String: Int] = [:]
    /// The next deletion of old jobs.
    var retentionTimer: TimerHandle?
    /// When the worker document was last refreshed (read by health checks on any thread).
    let lastHeartbeat = Mutex(Date())

    init(
        loop: EventLoop, configuration: QueueConfiguration, workerId: ObjectId, claiming: Bool,
        cpuPool: BoundedDispatchPool, onStopped: @escaping @Sendable () -> Void
    ) {
        self.loop = loop
        self.configuration = configuration
        store = configuration.store
        // A worker that does not claim (for an inline run) still runs the jobs handed to it.
        scope = ClaimScope(workerId: workerId, names: claiming ? configuration.claimableNames : [])
        logger = configuration.logger
        self.cpuPool = cpuPool
        self.onStopped = onStopped
        // Validated when the processor was created, so this cannot fail here.
        let crons = claiming ? (try? configuration.scheduledCrons()) ?? [] : []
        machine = WorkerStateMachine(
            settings: .init(configuration, claims: !scope.names.isEmpty), workerId: workerId,
            definitions: configuration.definitions, crons: crons, logger: configuration.logger)
    }

    var workerId: ObjectId { scope.workerId }
    var crons: [ScheduledCron] { machine.crons }
    /// Whether this worker claims jobs, creates cron ticks and recovers dead workers (an
    /// inline run's worker only runs the job it is handed).
    var isWorker: Bool { !scope.names.isEmpty }

    // MARK: Events in

    /// Starts claiming and heartbeats. The worker document is already stored. Every worker
    /// checks its signals, an inline run's too: a kill from another process reaches a job only
    /// through the signals stored for the worker running it.
    func start() {
        loop.preconditionInLoop()
        handle { $0.start(now: $1, date: $2, into: &$3) }
        guard isWorker else { return }
        watchNewJobs()
        startCrons()
        applyRetention()
    }

    /// A job becomes due at `date` (scheduled in this process, or reported by the watch).
    func wake(at date: Date) {
        loop.preconditionInLoop()
        handle { $0.wake(at: date, now: $1, date: $2, into: &$3) }
    }

    /// Runs an inline job handed to this worker; `onRecorded` gets the job as stored after its
    /// ending (nil if it could not be recorded).
    func startInline(_ job: Job, onRecorded: @escaping @Sendable (Job?) -> Void) {
        loop.preconditionInLoop()
        handle { machine, now, _, actions in machine.startInline(job, onRecorded: onRecorded, now: now, into: &actions) }
    }

    /// A kill was stored in this process for a job running here: read the signals now.
    func checkSignals() {
        loop.preconditionInLoop()
        handle { machine, _, _, actions in machine.killRequested(into: &actions) }
    }

    /// Graceful shutdown (SPEC §4); see ``WorkerStateMachine/shutdownRequested(now:into:)``.
    func beginShutdown() {
        loop.preconditionInLoop()
        handle { machine, now, _, actions in machine.shutdownRequested(now: now, into: &actions) }
    }

    /// Feeds one event to the machine, with the loop's instant and the wall clock's, and
    /// carries out the actions it returns. Loop thread only.
    @inline(__always)
    func handle(_ event: (inout WorkerStateMachine, LoopInstant, Date, inout [Action]) -> Void) {
        var actions: [Action] = []
        event(&machine, loop.now, Date(), &actions)
        run(actions)
    }

    // MARK: Actions out

    /// Carries out the machine's actions in order, its store calls last: a call whose answer
    /// comes back at once (the memory store) then finds the event's timers and handlers in
    /// place, as the machine decided them.
    private func run(_ actions: [Action]) {
        for action in actions where !action.isStoreCall { carryOut(action) }
        for action in actions where action.isStoreCall { carryOut(action) }
    }

    private func carryOut(_ action: Action) {
        switch action {
        case .arm(let timer, let deadline):
            if let armed = timers[timer] { loop.cancel(armed) }
            timers[timer] = loop.schedule(at: deadline) { event in
                guard case .fired = event else { return }
                self.timers[timer] = nil
                self.handle { $0.timerFired(timer, now: $1, date: $2, into: &$3) }
            }
        case .cancel(let timer):
            if let armed = timers.removeValue(forKey: timer) { loop.cancel(armed) }
        case .startHandlers(let entries):
            startHandlers(entries)
        case .fireSignal(let entry, let reason):
            _ = entry.signal.fire(reason)  // also cancels the handler's task
        case .settleLater:
            let settle: @Sendable () -> Void = { self.handle { $0.settled(now: $1, date: $2, into: &$3) } }
            do { try loop.execute(settle) } catch {
                settle()  // the loop is stopping: there is no later pass
            }
        case .wantNewJobReports(let wanted):
            watch?.setWanted(wanted)
        case .recorded(let entry, let job):
            entry.onRecorded?(job)
        case .callExitHandler(let handler, let job):
            callExitHandler(handler, job)
        case .checkIn(let entry, let status):
            sendCheckIn(entry, status)
        case .runEnded(let entry, let status, let duration):
            configuration.instrumentation?.ended(entry.job, status, duration: duration)
        case .stopBackgroundWork:
            stopBackgroundWork()
        case .acknowledgeSignals(let ids):
            let store = store
            run(counted: { () async throws(JobStoreError) in
                for id in ids { try await store.acknowledgeSignal(id) }
            }) { _ in }
        case .claim(let limit, let date):
            let (store, scope) = (store, scope)
            call({ () async throws(JobStoreError) in try await store.claim(scope, now: date, limit: limit) }) {
                $0.claimed($1, now: $2, date: $3, into: &$4)
            }
        case .writeEndings(let batch, let limit, let date):
            writeEndings(batch, thenClaim: limit, at: date)
        case .listClaims:
            let (store, workerId) = (store, workerId)
            call({ () async throws(JobStoreError) in
                try await store.runningJobs(.ownedBy(workerId), limit: DeadWorkerScan.batch)
            }) { $0.claimsListed($1, now: $2, date: $3, into: &$4) }
        case .releaseLostClaims(let ids, let date):
            releaseLostClaims(ids, at: date)
        case .readNextDue:
            let (store, scope) = (store, scope)
            call({ () async throws(JobStoreError) in try await store.nextDue(scope) }) {
                $0.nextDueRead($1, now: $2, date: $3, into: &$4)
            }
        case .verifyEnding(let entry, let request):
            let (store, id) = (store, request.id)
            call({ () async throws(JobStoreError) in try await store.job(id: id) }) {
                $0.endingVerified(entry, request, $1, now: $2, date: $3, into: &$4)
            }
        case .heartbeat(let date):
            let (store, workerId) = (store, workerId)
            call({ () async throws(JobStoreError) in try await store.heartbeat(workerId, at: date) }) {
                if case .success(true) = $1 { self.lastHeartbeat.withLock { $0 = Date() } }
                $0.heartbeatAnswered($1, now: $2, date: $3, into: &$4)
            }
        case .scanForDeadWorkers(let date):
            let scan = DeadWorkerScan(
                store: store, workerId: workerId, definitions: configuration.definitions,
                timeout: configuration.deadWorkerTimeout, heartbeat: configuration.heartbeatInterval, start: date,
                logger: logger)
            call({ () async throws(JobStoreError) in try await scan.run() }) {
                $0.deadWorkersScanned($1, now: $2, date: $3, into: &$4)
            }
        case .readSignals:
            let (store, workerId) = (store, workerId)
            call({ () async throws(JobStoreError) in try await store.pendingSignals(for: workerId) }) {
                $0.signalsRead($1, now: $2, date: $3, into: &$4)
            }
        case .removeWorker:
            removeWorker()
        }
    }

    /// Writes a batch of endings, and claims `limit` jobs in the same call when it is set.
    private func writeEndings(_ batch: QueuedEndings, thenClaim limit: Int?, at date: Date) {
        let (store, requests, began) = (store, batch.requests, loop.now)
        guard let limit else {
            call({ () async throws(JobStoreError) in await store.finish(requests) }) { machine, result, now, date, actions in
                let results = (try? result.get()) ?? []  // never a failure: finish(_:) reports each request
                machine.endingsWritten(batch, results, claimed: nil, took: now - began, now: now, date: date, into: &actions)
            }
            return
        }
        let scope = scope
        call({ () async throws(JobStoreError) in
            await store.finish(requests, thenClaim: scope, now: date, limit: limit)
        }) { machine, result, now, date, actions in
            switch result {
            case .success(let outcome):
                machine.endingsWritten(
                    batch, outcome.endings, claimed: outcome.claimed, took: now - began, now: now, date: date, into: &actions)
            case .failure(let error):  // not thrown by the call (each part reports its own), but handled
                machine.endingsWritten(
                    batch, batch.requests.map { _ in .failure(error) }, claimed: .failure(error), took: now - began,
                    now: now, date: date, into: &actions)
            }
        }
    }

    /// Puts the jobs whose claim was lost back to `pending`, each on its own (one failure is
    /// logged and the others go on).
    private func releaseLostClaims(_ ids: [ObjectId], at date: Date) {
        let (store, workerId, logger) = (store, workerId, logger)
        call({ () async throws(JobStoreError) -> Int in
            var released = 0
            for id in ids {
                do throws(JobStoreError) {
                    if try await store.finish(id, by: workerId, as: .pending, output: nil, at: date) != nil { released += 1 }
                } catch {
                    logger.error("could not release a job claimed while the store was failing",
                                 metadata: ["job": "\(id)", "error": "\(error)"])
                }
            }
            return released
        }) { $0.lostClaimsReleased(try? $1.get(), now: $2, date: $3, into: &$4) }
    }

    /// Removes the worker document, then reports the worker stopped.
    private func removeWorker() {
        let (store, workerId) = (store, workerId)
        run(store: { () async throws(JobStoreError) in try await store.removeWorker(workerId) }) { result in
            if case .failure(let error) = result {
                self.logger.error("could not remove the worker document", metadata: ["error": "\(error)"])
            }
            self.logger.info("stopped", metadata: ["worker": "\(workerId)"])
            self.onStopped()
        }
    }
}
