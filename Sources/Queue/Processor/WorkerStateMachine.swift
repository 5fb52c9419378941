import Foundation
import Logging
import Loop
import BSON

/// What a worker does next, decided without doing it: claims, the batching of endings, polling
/// and its back-off, heartbeats and dead-worker scans, kill signals, maximum runtimes, store
/// outages and shutdown (SPEC §4, §7).
///
/// A value that takes events (jobs claimed, handlers ended, endings written, a timer fired,
/// signals found, a store call failed, shutdown requested) and appends the actions they call
/// for (claim N, write these endings and then claim N, start these handlers, arm a timer, fire
/// a job's signal, stop). It does no I/O and reads no clock: every event brings the loop's
/// instant (`now`, for timers and durations) and the wall clock's (`date`, for what is stored),
/// so that tests drive every policy with a manual clock and no sleeping. ``Scheduler`` is the
/// shell that carries the actions out on the event loop and feeds the results back.
///
/// Requests whose answer it waits for (store calls, the settle pass, the ending timers) are
/// counted in ``inFlight`` when it asks for them and uncounted by the event that answers them,
/// so that it knows when a draining worker may stop.
struct WorkerStateMachine {
    /// The timings and limits the machine applies (from ``QueueConfiguration``).
    struct Settings: Sendable {
        var concurrency: Int
        var pollInterval: ClosedRange<Duration>
        var heartbeatInterval: Duration
        var deadWorkerTimeout: Duration
        var shutdownGracePeriod: Duration
        var endingWaitLimit: Duration
        /// Whether this worker claims jobs and scans for dead workers (an inline run's worker
        /// only runs the jobs it is handed).
        var claims: Bool
        /// Whether each run's end is reported (``Action/runEnded(_:_:duration:)``), for metrics
        /// and traces.
        var reportsRuns: Bool

        init(_ configuration: QueueConfiguration, claims: Bool) {
            concurrency = configuration.concurrency
            pollInterval = configuration.pollInterval
            heartbeatInterval = configuration.heartbeatInterval
            deadWorkerTimeout = configuration.deadWorkerTimeout
            shutdownGracePeriod = configuration.shutdownGracePeriod
            endingWaitLimit = configuration.endingWaitLimit
            self.claims = claims
            reportsRuns = configuration.instrumentation != nil
        }
    }

    enum Phase: Equatable, Sendable {
        case running
        /// Stopping: no more claims; waiting for handlers and store writes.
        case draining
        case stopped
    }

    /// The loop timers the machine arms, by purpose: arming one that is armed moves it.
    enum Timer: Hashable, Sendable, CustomStringConvertible {
        /// The next poll for due jobs.
        case poll
        /// The earliest known future job becomes due.
        case due
        case heartbeat
        /// The next read of this worker's kill signals.
        case signalCheck
        /// Queued endings stop waiting for others (``EndingGather``).
        case endingGather
        /// Endings whose write failed are written again.
        case endingRetry
        /// A signalled job's handler is abandoned if it has not returned by then.
        case grace(ObjectId)
        /// A job's maximum runtime is over.
        case maxRuntime(ObjectId)

        var description: String {
            switch self {
            case .poll: "poll"
            case .due: "due"
            case .heartbeat: "heartbeat"
            case .signalCheck: "signalCheck"
            case .endingGather: "endingGather"
            case .endingRetry: "endingRetry"
            case .grace(let id): "grace(\(id))"
            case .maxRuntime(let id): "maxRuntime(\(id))"
            }
        }
    }

    /// What the shell must do. Store calls (``isStoreCall``) answer with an event; the shell
    /// starts them after the other actions of the same event, so that an answer that comes
    /// back at once finds the timers and handlers of that event already in place.
    enum Action: CustomStringConvertible {
        case arm(Timer, at: LoopInstant)
        case cancel(Timer)
        /// Start these handlers (registered as running already).
        case startHandlers([RunningJob])
        /// Fire a running job's signal (which cancels its handler's task).
        case fireSignal(RunningJob, JobSignal.Reason)
        /// Come back with ``settled(now:date:)`` once the loop has taken in what reached it.
        case settleLater
        /// Tell the store's watch whether reports of new jobs are wanted.
        case wantNewJobReports(Bool)
        /// An ending is recorded (`job`: as stored; nil: not recorded): tell the entry's
        /// `onRecorded`.
        case recorded(RunningJob, Job?)
        /// Call `onJobExited` (then report ``sideWorkEnded(into:)``).
        case callExitHandler(JobDefinition.ExitHandler, Job)
        /// Send a cron task's check-in to the monitor (then report ``sideWorkEnded(into:)``).
        case checkIn(RunningJob, CronCheckIn.Status)
        /// A handler's run ended, its job going to `status` (metrics and traces).
        case runEnded(RunningJob, JobStatus, duration: Duration)
        /// Stop what runs beside the machine (crons, retention, the watch): shutting down.
        case stopBackgroundWork
        /// Mark these signals read in the store (then report ``sideWorkEnded(into:)``).
        case acknowledgeSignals([ObjectId])
        /// Answered by ``claimed(_:now:date:)``.
        case claim(limit: Int, at: Date)
        /// Answered by ``endingsWritten(_:_:claimed:took:now:date:)``.
        case writeEndings(QueuedEndings, thenClaim: Int?, at: Date)
        /// Answered by ``claimsListed(_:now:date:)``: this worker's running jobs in the store.
        case listClaims
        /// Answered by ``lostClaimsReleased(_:now:date:)``: put these back to `pending`.
        case releaseLostClaims([ObjectId], at: Date)
        /// Answered by ``nextDueRead(_:now:date:)``.
        case readNextDue
        /// Answered by ``endingVerified(_:_:_:now:date:)``: read the stored job.
        case verifyEnding(RunningJob, FinishRequest)
        /// Answered by ``heartbeatAnswered(_:now:date:)``.
        case heartbeat(at: Date)
        /// Answered by ``deadWorkersScanned(_:now:date:)``.
        case scanForDeadWorkers(at: Date)
        /// Answered by ``signalsRead(_:now:date:into:)``.
        case readSignals
        /// Remove the worker document, then stop: the worker has drained.
        case removeWorker

        /// Whether the action is a store call, answered by an event.
        var isStoreCall: Bool {
            switch self {
            case .claim, .writeEndings, .listClaims, .releaseLostClaims, .readNextDue, .verifyEnding, .heartbeat,
                 .scanForDeadWorkers, .readSignals, .removeWorker:
                true
            default:
                false
            }
        }

        var description: String {
            switch self {
            case .arm(let timer, let at): "arm(\(timer), \(at))"
            case .cancel(let timer): "cancel(\(timer))"
            case .startHandlers(let entries): "startHandlers(\(entries.map { "\($0.job.id)" }.joined(separator: ",")))"
            case .fireSignal(let entry, let reason): "fireSignal(\(entry.job.id), \(reason.rawValue))"
            case .settleLater: "settleLater"
            case .wantNewJobReports(let wanted): "wantNewJobReports(\(wanted))"
            case .recorded(let entry, let job): "recorded(\(entry.job.id), \(job.map { $0.status.rawValue } ?? "nil"))"
            case .callExitHandler(_, let job): "callExitHandler(\(job.id), \(job.status.rawValue))"
            case .checkIn(let entry, let status): "checkIn(\(entry.job.id), \(status))"
            case .runEnded(let entry, let status, _): "runEnded(\(entry.job.id), \(status.rawValue))"
            case .stopBackgroundWork: "stopBackgroundWork"
            case .acknowledgeSignals(let ids): "acknowledgeSignals(\(ids.count))"
            case .claim(let limit, _): "claim(\(limit))"
            case .writeEndings(let batch, let limit, _):
                "writeEndings(\(batch.requests.map { "\($0.id):\($0.status.rawValue)" }.joined(separator: ",")), thenClaim: \(limit.map(String.init) ?? "nil"))"
            case .listClaims: "listClaims"
            case .releaseLostClaims(let ids, _): "releaseLostClaims(\(ids.map { "\($0)" }.joined(separator: ",")))"
            case .readNextDue: "readNextDue"
            case .verifyEnding(let entry, _): "verifyEnding(\(entry.job.id))"
            case .heartbeat: "heartbeat"
            case .scanForDeadWorkers: "scanForDeadWorkers"
            case .readSignals: "readSignals"
            case .removeWorker: "removeWorker"
            }
        }
    }

    /// A job this worker runs, with why its signal fired, if it did.
    struct Run {
        let entry: RunningJob
        var interruption: JobSignal.Reason?
    }

    let settings: Settings
    let workerId: ObjectId
    /// Every definition this worker can run, by name (jobs and cron tasks).
    let definitions: [String: JobDefinition]
    /// The crons whose ticks this worker creates: a cron task paused at its maximum runtime
    /// resumes at its cron's next tick.
    let crons: [ScheduledCron]
    let logger: Logger
    /// Draws in `0..<1` for the back-off jitter (``RetryBackoff``); pinned by tests.
    let random: @Sendable () -> Double

    var phase = Phase.running
    /// When shutdown began.
    var shutdownBegan: LoopInstant?
    var running: [ObjectId: Run] = [:]
    /// Requests asked for and not answered yet (see the type's documentation).
    var inFlight = 0
    /// Whether a claim (alone, with endings, or the reconciliation that stands for one) is in
    /// flight: one at a time.
    var claiming = false
    /// A job became due while a claim was in flight: claim again even if it finds nothing.
    var recheck = false
    /// A claim failed with its outcome unknown: before the next claim, jobs the store shows
    /// running here that this worker never started go back to `pending` (``claimsListed``).
    var needsReconcile = false
    /// Endings waiting for the store.
    var endings = QueuedEndings()
    /// The batch of endings being written, while one is.
    var writingEndings = QueuedEndings()
    var recordingEndings = false
    /// Endings whose write failed, waiting for the ``Timer/endingRetry`` timer.
    var retryingEndings = QueuedEndings()
    /// Endings whose write failed, by job, until the store takes them.
    var failedEndings: [ObjectId: FailedEnding] = [:]
    var endingRetryArmed = false
    /// Whether queued endings wait for others before they are written.
    var gather: EndingGather
    var gatherArmed = false
    /// The settle pass is asked for and has not come back yet.
    var settling = false
    /// The delays between retries of failed endings.
    var endingBackoff = RetryBackoff.store
    /// The delays between failed claims.
    var claimBackoff = RetryBackoff.store
    /// Whether the store has been failing (logged once per outage, not per retry).
    var outage = StoreOutage()
    /// The current poll interval: the shortest while jobs come, doubling while none does.
    var pollDelay: Duration
    /// The deadline of the ``Timer/due`` timer, while it is armed.
    var dueDeadline: LoopInstant?
    /// Whether the store's watch was last told that reports are wanted (its initial state).
    var newJobReportsWanted = true
    /// No worker can be found dead before this date: heartbeats until then skip the scan
    /// (``RecoveryScanSchedule``). In the past until the first scan.
    var nextRecoveryScan = Date.distantPast
    /// The ids of cron tasks whose tick is under way (the shell's cron ticks): a reconciliation
    /// leaves them alone, for the tick gets them back.
    var cronTicksUnderWay: Set<ObjectId> = []

    init(
        settings: Settings, workerId: ObjectId, definitions: [String: JobDefinition], crons: [ScheduledCron],
        logger: Logger, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.settings = settings
        self.workerId = workerId
        self.definitions = definitions
        self.crons = crons
        self.logger = logger
        self.random = random
        pollDelay = settings.pollInterval.lowerBound
        gather = EndingGather(longestWait: settings.endingWaitLimit)
    }

    // MARK: Lifecycle

    /// The worker document is stored: heartbeats, signal checks and the first claim begin.
    mutating func start(now: LoopInstant, date: Date, into actions: inout [Action]) {
        actions.append(.arm(.heartbeat, at: now + settings.heartbeatInterval))
        actions.append(.arm(.signalCheck, at: now + settings.pollInterval.upperBound))
        pump(now: now, date: date, into: &actions)
    }

    /// Graceful shutdown (SPEC §4): stop claiming and polling, fire every running job's signal
    /// (each abandoned after the grace period if it does not return), and stop once every
    /// handler has ended and every request been answered.
    mutating func shutdownRequested(now: LoopInstant, into actions: inout [Action]) {
        guard phase == .running else { return }
        phase = .draining
        shutdownBegan = now
        for timer in [Timer.poll, .due, .heartbeat, .signalCheck] { actions.append(.cancel(timer)) }
        dueDeadline = nil
        actions.append(.stopBackgroundWork)
        logger.info("shutting down", metadata: ["running": "\(running.count)"])
        for id in Array(running.keys) { interrupt(id, .shutdown, now: now, into: &actions) }
        checkDrained(into: &actions)
    }

    /// Asks for work whose end shutdown waits for but whose result the machine does not need
    /// (an `onJobExited`, a check-in, acknowledgements): counted until the shell reports it
    /// over with ``sideWorkEnded(into:)``.
    mutating func waitFor(_ action: Action, into actions: inout [Action]) {
        inFlight += 1
        actions.append(action)
    }

    /// The shell started work of its own that shutdown must wait for (a cron tick, retention,
    /// a check-in when a cron task starts).
    mutating func sideWorkBegan() {
        inFlight += 1
    }

    /// Work counted by ``sideWorkBegan()`` or ``waitFor(_:into:)`` is over.
    mutating func sideWorkEnded(into actions: inout [Action]) {
        inFlight -= 1
        checkDrained(into: &actions)
    }

    /// Once draining with nothing running and nothing in flight: remove the worker document.
    mutating func checkDrained(into actions: inout [Action]) {
        guard phase == .draining, running.isEmpty, inFlight == 0, !claiming else { return }
        phase = .stopped
        actions.append(.removeWorker)
    }

    /// A timer armed by an ``Action/arm(_:at:)`` fired.
    mutating func timerFired(_ timer: Timer, now: LoopInstant, date: Date, into actions: inout [Action]) {
        switch timer {
        case .poll:
            pump(now: now, date: date, into: &actions)
        case .due:
            dueDeadline = nil
            wake(at: date, now: now, date: date, into: &actions)
        case .heartbeat:
            guard phase == .running else { return }
            inFlight += 1
            actions.append(.heartbeat(at: date))
        case .signalCheck:
            guard phase == .running else { return }
            if !running.isEmpty { readSignals(into: &actions) }
            actions.append(.arm(.signalCheck, at: now + settings.pollInterval.upperBound))
        case .endingGather:
            gatherArmed = false
            inFlight -= 1
            pump(now: now, date: date, into: &actions)
            checkDrained(into: &actions)
        case .endingRetry:
            endingRetryArmed = false
            inFlight -= 1
            if !abandonUnwrittenEndingsIfLate(now: now, into: &actions) {
                let retries = retryingEndings.takeAll()
                for index in retries.entries.indices {
                    queue(retries.entries[index], retries.requests[index], now: now, into: &actions)
                }
            }
            checkDrained(into: &actions)
        case .grace(let id):
            handlerEnded(id, .abandoned, now: now, date: date, into: &actions)
            checkDrained(into: &actions)
        case .maxRuntime(let id):
            interrupt(id, .maxRuntimeExceeded, now: now, into: &actions)
        }
    }

    // MARK: Outages

    /// A store call failed: the first failure of an outage is logged as a warning (with
    /// `what`), later ones of the same outage at debug level only; a failure that concerns one
    /// document (``StoreOutage/counts(_:)``) as an error each time.
    mutating func storeFailed(_ error: JobStoreError, _ what: String, metadata: Logger.Metadata = [:], now: LoopInstant) {
        var metadata = metadata
        metadata["error"] = "\(error)"
        guard StoreOutage.counts(error) else { return logger.error("\(what)", metadata: metadata) }
        if outage.failed(at: now) {
            logger.warning("the store is failing; retrying with back-off until it answers: \(what)", metadata: metadata)
        } else {
            logger.debug("\(what)", metadata: metadata)
        }
    }

    /// A store call succeeded: ends an outage, if one was under way, with one log line. Other
    /// workers' heartbeats failed too while the store was away: none is declared dead before it
    /// has had a whole dead-worker timeout to be seen again.
    mutating func storeAnswered(now: LoopInstant, date: Date) {
        guard let ended = outage.answered(at: now) else { return }
        nextRecoveryScan = max(nextRecoveryScan, date.addingTimeInterval(settings.deadWorkerTimeout.timeInterval))
        logger.notice("the store answers again", metadata: [
            "after": "\(HumanDuration.format(ended.lasted))", "failedCalls": "\(ended.failures)",
        ])
    }

    /// The longest a loop timer waits for a date: a later date's timer fires then and is armed
    /// again for what is left (SPEC §7: deadlines beyond the loop's range are clamped).
    static let longestWait = Duration.seconds(86_400)

    /// The loop deadline of wall-clock `target`, at most ``longestWait`` after `now`: any date,
    /// year 9999 or the distant future included, without trapping.
    static func deadline(for target: Date, now: LoopInstant, date: Date) -> LoopInstant {
        let delay = min(max(target.timeIntervalSince(date), 0), longestWait.timeInterval)  // NaN reads as 0
        return now + .nanoseconds(Int64((delay * 1e9).rounded(.up)))
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
