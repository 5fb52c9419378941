import Foundation
import Logging
import Loop
import Synchronization
import BSON

/// The processor's state machine: claims jobs, runs handlers, records endings, heartbeats and
/// shuts down. It lives on the event loop's thread.
///
/// Threading: every method runs on the loop thread (each entry point checks). Store calls run
/// as tasks whose results come back through `loop.execute`, so the loop never blocks and never
/// runs user code; handlers run as tasks or on the bounded Dispatch pool.
final class Scheduler: @unchecked Sendable {  // safe: mutable state is only touched on `loop`'s thread: every method runs in a loop callback (execute, timers), and the ones called from elsewhere check loop.preconditionInLoop()
    enum Phase: Equatable {
        case running
        /// Stopping: no more claims; waiting for handlers and store writes.
        case draining
        case stopped
    }

    let loop: EventLoop
    let configuration: QueueConfiguration
    let store: any JobStore
    let scope: ClaimScope
    /// Every definition this worker can run, by name (jobs and cron tasks).
    let definitions: [String: JobDefinition]
    /// The crons whose ticks this scheduler creates (none for an inline run's scheduler).
    let crons: [ScheduledCron]
    let logger: Logger
    let cpuPool: BoundedDispatchPool
    /// Called once on the loop thread when the scheduler has stopped.
    let onStopped: @Sendable () -> Void

    var phase = Phase.running
    var running: [ObjectId: RunningJob] = [:]
    /// Store calls in flight (claims, endings, onJobExited); shutdown waits for them.
    var inFlight = 0
    var claiming = false
    /// Endings waiting for the store, and whether a batch of them is being written.
    var endings = QueuedEndings()
    /// Handlers' outcomes posted from their threads, and the loop's buffer to take them into.
    let outcomes = OutcomeInbox()
    var takenOutcomes: [(id: ObjectId, outcome: HandlerOutcome)] = []
    var recordingEndings = false
    /// The batch of endings being written, while one is.
    var writingEndings = QueuedEndings()
    /// Endings whose write failed, waiting for ``endingRetryTimer`` to be written again.
    var retryingEndings = QueuedEndings()
    /// Endings whose write failed, by job, until the store takes them.
    var failedEndings: [ObjectId: FailedEnding] = [:]
    /// Armed while failed endings wait to be written again.
    var endingRetryTimer: TimerHandle?
    /// The delays between retries of failed endings.
    var endingBackoff = RetryBackoff.store
    /// The delays between failed claims.
    var claimBackoff = RetryBackoff.store
    /// Whether the store has been failing (logged once per outage, not per retry).
    var outage = StoreOutage()
    /// A claim failed with its outcome unknown: before the next claim, jobs the store shows
    /// running here that this worker never started go back to `pending` (``reconcile()``).
    var needsReconcile = false
    /// When shutdown began, on the loop clock.
    var shutdownBegan: LoopInstant?
    /// Whether queued endings wait for others before they are written (see ``EndingGather``).
    var gather: EndingGather
    /// Endings arrived and their store write and refill claim are queued for a later pass (see
    /// ``settleAfterEndings()``).
    var settling = false
    /// A local job became due while a claim was in flight: claim again even if it finds nothing.
    var recheck = false
    var pollDelay: Duration
    var pollTimer: TimerHandle?
    var dueTimer: (handle: TimerHandle, at: LoopInstant)?
    var heartbeatTimer: TimerHandle?
    var graceTimer: TimerHandle?
    /// The store's notification of new jobs, when it has one.
    var watch: (any JobWatch)?
    /// Whether `watch` was last told that reports are wanted (its initial state).
    var newJobReportsWanted = true
    /// Each cron's next tick.
    var cronTimers: [String: TimerHandle] = [:]
    /// Consecutive ticks another worker took, per cron (see `tick`).
    var cronMisses: [String: Int] = [:]
    /// The task ids of cron ticks taken and not answered yet (in flight, or failed and waiting
    /// to be taken again): ``reconcile()`` leaves their tasks alone, for the tick gets them back.
    var cronTicksUnderWay: Set<ObjectId> = []
    /// The next check for kill signals.
    var signalTimer: TimerHandle?
    /// The next deletion of old jobs.
    var retentionTimer: TimerHandle?
    /// No worker can be found dead before this instant: heartbeats until then skip the scan
    /// for dead workers (see ``recoverDeadWorkers()``). In the past until the first scan.
    var nextRecoveryScan = Date.distantPast
    /// When the worker document was last refreshed (read by health checks on any thread).
    let lastHeartbeat = Mutex(Date())
    /// Whether this scheduler claims jobs, creates cron ticks and recovers dead workers (an
    /// inline run's scheduler only runs the job it is handed).
    var isWorker: Bool { !scope.names.isEmpty }

    init(
        loop: EventLoop, configuration: QueueConfiguration, workerId: ObjectId, claiming: Bool,
        cpuPool: BoundedDispatchPool, onStopped: @escaping @Sendable () -> Void
    ) {
        self.loop = loop
        self.configuration = configuration
        store = configuration.store
        // A scheduler that does not claim (for an inline run) still runs the jobs handed to it.
        scope = ClaimScope(workerId: workerId, names: claiming ? configuration.claimableNames : [])
        definitions = configuration.definitions
        // Validated when the processor was created, so this cannot fail here.
        crons = claiming ? (try? configuration.scheduledCrons()) ?? [] : []
        logger = configuration.logger
        self.cpuPool = cpuPool
        self.onStopped = onStopped
        pollDelay = configuration.pollInterval.lowerBound
        gather = EndingGather(longestWait: configuration.endingWaitLimit)
    }

    var workerId: ObjectId { scope.workerId }

    /// Starts claiming and heartbeats. The worker document is already stored. Every scheduler
    /// checks its signals, an inline run's too: a kill from another process reaches a job only
    /// through the signals stored for the worker running it.
    func start() {
        loop.preconditionInLoop()
        scheduleHeartbeat()
        scheduleSignalCheck()
        pump()
        guard isWorker else { return }
        watchNewJobs()
        startCrons()
        applyRetention()
    }

    /// How often workers delete jobs older than the retention period.
    static let retentionInterval = Duration.seconds(3600)

    /// Deletes jobs that ended more than the retention period ago, now and every hour.
    private func applyRetention() {
        let store = store
        let retention = configuration.retention
        let cutoff = Date().addingTimeInterval(-retention.timeInterval)
        perform({ () async throws(JobStoreError) in try await store.deleteEnded(before: cutoff) }) { result in
            switch result {
            case .success(let deleted) where deleted > 0:
                self.logger.info("deleted jobs older than the retention period", metadata: ["count": "\(deleted)"])
            case .success: break
            case .failure(let error):
                self.storeFailed(error, "could not delete old jobs")
            }
        }
        retentionTimer = loop.schedule(after: Self.retentionInterval) { event in
            guard case .fired = event, self.phase == .running else { return }
            self.applyRetention()
        }
    }

    /// Asks the store to report new jobs as they are created (a change stream), so that other
    /// processes' jobs start without waiting for a poll. Polling goes on regardless.
    private func watchNewJobs() {
        guard !scope.names.isEmpty else { return }
        let (store, scope, loop) = (store, scope, loop)
        perform({ () async throws(JobStoreError) in
            await store.watchNewJobs(scope) { due in try? loop.execute { self.wake(at: due) } }
        }) { result in
            guard case .success(let watch?) = result else { return }
            guard self.phase == .running else { return watch.cancel() }
            self.watch = watch
            watch.setWanted(self.newJobReportsWanted)
        }
    }

    // MARK: Store calls

    /// Runs a store call as a task on the loop's executor and hands its result to `then` on the
    /// loop thread; counted in ``inFlight`` so that shutdown waits for it. Loop thread only.
    ///
    /// The task starts at once, on this thread (`Task.immediate`): a call that does not suspend
    /// (the memory store) has run, and `then` with it, when `perform` returns, without a trip
    /// through the loop's queue; one that waits on I/O suspends, the loop goes on meanwhile,
    /// and `then` runs when the task resumes on the loop. Callers therefore call `perform` last,
    /// with their state already updated for either case. Never for user code: see
    /// ``detached(_:)``.
    ///
    /// A success ends a store outage (``storeAnswered()``), unless `reportsOutcomes`: a call whose
    /// value holds results of its own (a batch of endings) says that itself.
    func perform<Value: Sendable>(
        _ operation: @escaping @Sendable () async throws(JobStoreError) -> Value,
        reportsOutcomes: Bool = false,
        then: @escaping @Sendable (Result<Value, JobStoreError>) -> Void
    ) {
        loop.preconditionInLoop()
        inFlight += 1
        let loop = loop
        let began = Tracepoints.storeRoundTripEnabled ? DispatchTime.now().uptimeNanoseconds : nil
        Task.immediate(executorPreference: loop) {
            let result: Result<Value, JobStoreError>
            do throws(JobStoreError) { result = .success(try await operation()) } catch { result = .failure(error) }
            if let began {
                let failed = if case .failure = result { true } else { false }
                Tracepoints.storeRoundTrip(nanoseconds: DispatchTime.now().uptimeNanoseconds &- began, failed: failed)
            }
            let deliver: @Sendable () -> Void = {
                self.inFlight -= 1
                if !reportsOutcomes, case .success = result { self.storeAnswered() }
                then(result)
                self.checkDrained()
            }
            if loop.inLoop { return deliver() }
            do { try loop.execute(deliver) } catch {
                // The loop stopped first: only possible after the scheduler itself stopped it.
                self.logger.debug("store result arrived after the loop stopped")
            }
        }
    }

    /// Runs user code (`onJobExited`, a monitor's check-in) as a task on the global executor,
    /// never on the loop thread; counted in ``inFlight`` like a store call.
    func detached(_ operation: @escaping @Sendable () async -> Void) {
        inFlight += 1
        let loop = loop
        Task {
            await operation()
            do {
                try loop.execute {
                    self.inFlight -= 1
                    self.checkDrained()
                }
            } catch {
                self.logger.debug("user code ended after the loop stopped")
            }
        }
    }

    /// The longest a loop timer waits for a date: a later date's timer fires then and is armed
    /// again for what is left (SPEC §7: deadlines beyond the loop's range are clamped).
    static let longestWait = Duration.seconds(86_400)

    /// Converts a wall-clock date to a loop deadline, at most ``longestWait`` from now: any date,
    /// year 9999 or the distant future included, without trapping.
    func deadline(for date: Date) -> LoopInstant {
        let delay = min(max(date.timeIntervalSinceNow, 0), Self.longestWait.timeInterval)  // NaN reads as 0
        return loop.now + .nanoseconds(Int64((delay * 1e9).rounded(.up)))
    }

    // MARK: Outages

    /// Logs a failed store call: the first failure of an outage as a warning (with `what` and
    /// the error), later ones of the same outage at debug level only; a failure that concerns
    /// one document (``StoreOutage/counts(_:)``) as an error each time.
    func storeFailed(_ error: JobStoreError, _ what: String, metadata: Logger.Metadata = [:]) {
        var metadata = metadata
        metadata["error"] = "\(error)"
        guard StoreOutage.counts(error) else { return logger.error("\(what)", metadata: metadata) }
        if outage.failed(at: loop.now) {
            logger.warning("the store is failing; retrying with back-off until it answers: \(what)", metadata: metadata)
        } else {
            logger.debug("\(what)", metadata: metadata)
        }
    }

    /// A store call succeeded: ends an outage, if one was under way, with one log line. Other
    /// workers' heartbeats failed too while the store was away: none is declared dead before it
    /// has had a whole dead-worker timeout to be seen again.
    func storeAnswered() {
        guard let ended = outage.answered(at: loop.now) else { return }
        nextRecoveryScan = max(nextRecoveryScan, Date().addingTimeInterval(configuration.deadWorkerTimeout.timeInterval))
        logger.notice("the store answers again", metadata: [
            "after": "\(HumanDuration.format(ended.lasted))", "failedCalls": "\(ended.failures)",
        ])
    }

    // MARK: Heartbeat

    private func scheduleHeartbeat() {
        heartbeatTimer = loop.schedule(after: configuration.heartbeatInterval) { event in
            guard case .fired = event else { return }
            self.beat()
        }
    }

    private func beat() {
        guard phase == .running else { return }
        let (store, workerId) = (store, workerId)
        perform({ () async throws(JobStoreError) in try await store.heartbeat(workerId, at: Date()) }) { result in
            switch result {
            case .success(true):
                self.lastHeartbeat.withLock { $0 = Date() }
                if self.isWorker, Date() >= self.nextRecoveryScan { self.recoverDeadWorkers() }
            case .success(false):
                self.logger.error("this worker's document is gone (declared dead by another worker): stopping",
                                  metadata: ["worker": "\(workerId)"])
                self.beginShutdown()
            case .failure(let error):
                self.storeFailed(error, "heartbeat failed")
            }
            if self.phase == .running { self.scheduleHeartbeat() }
        }
    }
}
