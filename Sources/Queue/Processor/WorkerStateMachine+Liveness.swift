import Foundation
import Loop
import BSON

/// Liveness: this worker's heartbeat, the scans for dead workers that it schedules, and the
/// kill signals other processes leave for it.
extension WorkerStateMachine {
    /// The heartbeat came back: `true` if the worker document was refreshed, `false` if it is
    /// gone (another worker declared this one dead: stop). A refreshed heartbeat scans for dead
    /// workers once ``nextRecoveryScan`` has come (``RecoveryScanSchedule``: no worker can be
    /// found dead before); the next heartbeat follows one interval later.
    mutating func heartbeatAnswered(_ result: Result<Bool, JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        switch result {
        case .success(true):
            storeAnswered(now: now, date: date)
            if settings.claims, date >= nextRecoveryScan {
                inFlight += 1
                actions.append(.scanForDeadWorkers(at: date))
            }
        case .success(false):
            storeAnswered(now: now, date: date)
            logger.error("this worker's document is gone (declared dead by another worker): stopping",
                         metadata: ["worker": "\(workerId)"])
            shutdownRequested(now: now, into: &actions)
        case .failure(let error):
            storeFailed(error, "heartbeat failed", now: now)
        }
        if phase == .running { actions.append(.arm(.heartbeat, at: now + settings.heartbeatInterval)) }
        checkDrained(into: &actions)
    }

    /// A scan for dead workers came back: the jobs it ended `errored` get their `onJobExited`
    /// here, and the next scan waits for `scan.nextScan`. A failed scan leaves the schedule as
    /// it was, so the next heartbeat scans again.
    mutating func deadWorkersScanned(_ result: Result<RecoveryScan, JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        switch result {
        case .success(let scan):
            storeAnswered(now: now, date: date)
            nextRecoveryScan = scan.nextScan
            for item in scan.recovered {
                logger.warning("recovered a job from a dead worker", metadata: ["job": "\(item.job.id)"])
                if let handler = item.onJobExited { waitFor(.callExitHandler(handler, item.job), into: &actions) }
            }
        case .failure(let error):
            storeFailed(error, "dead-worker recovery failed; retrying at the next heartbeat", now: now)
        }
        checkDrained(into: &actions)
    }

    /// Reads this worker's kill signals now (a kill made in this process, for a job running
    /// here): the periodic read would find it only at the next ``Timer/signalCheck``.
    mutating func killRequested(into actions: inout [Action]) {
        readSignals(into: &actions)
    }

    mutating func readSignals(into actions: inout [Action]) {
        inFlight += 1
        actions.append(.readSignals)
    }

    /// This worker's signals were read: each killed job that runs here has its signal fired
    /// (it then ends `killed` and gets its `onJobExited`), and every signal read is
    /// acknowledged.
    mutating func signalsRead(_ result: Result<[SignalRecord], JobStoreError>, now: LoopInstant, date: Date, into actions: inout [Action]) {
        inFlight -= 1
        switch result {
        case .success(let signals):
            storeAnswered(now: now, date: date)
            for signal in signals where signal.kind == .kill && running[signal.jobId] != nil {
                logger.info("job killed", metadata: ["job": "\(signal.jobId)"])
                interrupt(signal.jobId, .killed, now: now, into: &actions)
            }
            if !signals.isEmpty { waitFor(.acknowledgeSignals(signals.map(\.id)), into: &actions) }
        case .failure(let error):
            storeFailed(error, "could not read this worker's signals", now: now)
        }
        checkDrained(into: &actions)
    }
}

/// A job taken over from a dead worker that ended `errored`, with its definition's exit handler.
struct RecoveredJob: Sendable {
    let job: Job
    let onJobExited: JobDefinition.ExitHandler?
}

/// What a scan for dead workers did, and when the next one is needed.
struct RecoveryScan: Sendable {
    let recovered: [RecoveredJob]
    /// See ``RecoveryScanSchedule``.
    let nextScan: Date
}
