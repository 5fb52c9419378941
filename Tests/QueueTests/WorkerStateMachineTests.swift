import Foundation
import Logging
import Loop
import Testing
@testable import BSON
@testable import Queue
import QueueTestSupport

/// The worker's policies, driven event by event on a manual clock: no store, no loop, no
/// sleeping. Each test feeds the events a worker would see and checks the actions it asks for.
@Suite("Worker state machine")
struct WorkerStateMachineTests {
    /// A machine with its clocks: `now` for the loop, `date` for the wall clock, moved together.
    struct Harness {
        var machine: WorkerStateMachine
        var now = LoopInstant(nanoseconds: 1_000_000_000)
        var date = Date(timeIntervalSince1970: 1_800_000_000)
        /// The actions of the last event.
        var actions: [WorkerStateMachine.Action] = []

        init(
            concurrency: Int = 4, claims: Bool = true, definitions: [String: JobDefinition] = Harness.definitions,
            configure: (inout WorkerStateMachine.Settings) -> Void = { _ in }
        ) {
            var settings = WorkerStateMachine.Settings(
                QueueConfiguration.testing(store: MemoryJobStore(), jobs: [:]), claims: claims)
            settings.concurrency = concurrency
            settings.pollInterval = .milliseconds(20) ... .seconds(1)
            settings.heartbeatInterval = .seconds(2)
            settings.deadWorkerTimeout = .seconds(10)
            settings.shutdownGracePeriod = .seconds(10)
            settings.endingWaitLimit = .milliseconds(1)
            configure(&settings)
            machine = WorkerStateMachine(
                settings: settings, workerId: ObjectId(), definitions: definitions, crons: [],
                logger: Logger(label: "test.machine") { _ in SwiftLogNoOpLogHandler() },
                random: { 0 })  // no jitter: every back-off delay is the nominal one
        }

        static let definitions: [String: JobDefinition] = {
            var limited = JobDefinition { _, _ in nil }
            limited.maxRuntime = .seconds(60)
            var resumable = JobDefinition(resumable: true) { _, _ in nil }
            resumable.maxRuntime = .seconds(60)
            return [
                "plain": JobDefinition(onJobExited: { _ in }) { _, _ in nil },
                "limited": limited,
                "resumable": resumable,
            ]
        }()

        mutating func advance(_ duration: Duration) {
            now = now + duration
            date = date.addingTimeInterval(duration.timeInterval)
        }

        /// The last `writeEndings` asked for and not answered yet: its batch, and whether it claims.
        var pendingWrite: (batch: QueuedEndings, claims: Bool)?

        /// Feeds one event and returns its actions as text, deadlines relative to `now`.
        @discardableResult
        mutating func on(_ event: (inout WorkerStateMachine, LoopInstant, Date, inout [WorkerStateMachine.Action]) -> Void) -> [String] {
            actions = []
            event(&machine, now, date, &actions)
            for case .writeEndings(let batch, let limit, _) in actions { pendingWrite = (batch, limit != nil) }
            return actions.map(describe)
        }

        func describe(_ action: WorkerStateMachine.Action) -> String {
            guard case .arm(let timer, let deadline) = action else { return action.description }
            let microseconds = Int(((deadline - now).timeInterval * 1_000_000).rounded())
            return microseconds % 1000 == 0 ? "arm(\(timer), +\(microseconds / 1000)ms)" : "arm(\(timer), +\(microseconds)us)"
        }

        /// The batch of the pending `writeEndings`.
        var writtenBatch: QueuedEndings? { pendingWrite?.batch }

        /// Answers the pending `writeEndings` with `results` (default: each ending stored) and,
        /// if it claimed, `claimed` (default: no job).
        @discardableResult
        mutating func answerWrite(
            _ results: [Result<Job?, JobStoreError>]? = nil, claimed: [Job] = [], took: Duration = .zero
        ) -> [String] {
            guard let (batch, claims) = pendingWrite else { return ["no writeEndings to answer"] }
            pendingWrite = nil
            let results = results ?? batch.requests.map { .success(stored($0)) }
            let claim: Result<[Job], JobStoreError>? = claims ? .success(claimed) : nil
            return on { $0.endingsWritten(batch, results, claimed: claim, took: took, now: $1, date: $2, into: &$3) }
        }

        func job(_ name: String = "plain") -> Job {
            Job(name: name, status: .running, scheduledFor: date, startedAt: date, updatedAt: date, createdAt: date,
                workerId: machine.workerId)
        }

        /// The stored job after `request`'s ending.
        func stored(_ request: FinishRequest) -> Job {
            var job = request.claimed ?? self.job()
            job.status = request.status
            job.workerId = nil
            job.updatedAt = request.at
            return job
        }

        /// Starts the machine and answers its first claim with `jobs`, and the claim that follows
        /// for the slots left (if any, and unless told not to) with none.
        mutating func started(with jobs: [Job], answeringTheNextClaim: Bool = true) {
            on { $0.start(now: $1, date: $2, into: &$3) }
            let next = on { $0.claimed(.success(jobs), now: $1, date: $2, into: &$3) }
            guard answeringTheNextClaim, next.contains(where: { $0.hasPrefix("claim(") }) else { return }
            on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) }
            on { $0.nextDueRead(.success(nil), now: $1, date: $2, into: &$3) }
        }

        /// Ends `jobs`' handlers with `outcome` and runs the settle pass; returns its actions.
        @discardableResult
        mutating func end(_ jobs: [Job], _ outcome: HandlerOutcome = .returned(nil)) -> [String] {
            on { machine, now, date, actions in
                machine.handlersEnded(jobs.map { ($0.id, outcome) }, now: now, date: date, into: &actions)
            }
            return on { $0.settled(now: $1, date: $2, into: &$3) }
        }

    }

    static let outage = JobStoreError(.unavailable, operation: "test", reason: "the store is down")

    // MARK: Claiming and polling

    @Test func startArmsHeartbeatAndSignalChecksAndClaimsEveryFreeSlot() {
        var harness = Harness()
        #expect(harness.on { $0.start(now: $1, date: $2, into: &$3) }
                == ["arm(heartbeat, +2000ms)", "arm(signalCheck, +1000ms)", "claim(4)"])
    }

    @Test func claimedJobsStartAndTheNextClaimFollowsAtOnceForTheSlotsLeft() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        let (a, b) = (harness.job(), harness.job())
        #expect(harness.on { $0.claimed(.success([a, b]), now: $1, date: $2, into: &$3) }
                == ["startHandlers(\(a.id),\(b.id))", "wantNewJobReports(false)", "claim(2)"])
        #expect(harness.machine.running.count == 2)
    }

    @Test func emptyClaimsDoubleThePollIntervalUpToItsMaximumAndAJobResetsIt() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        var polls: [String] = []
        for _ in 0..<7 {
            let actions = harness.on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) }
            polls += actions.filter { $0.hasPrefix("arm(poll") }
            #expect(actions.contains("readNextDue"), "an idle worker reads when the next job is due")
            harness.on { $0.nextDueRead(.success(nil), now: $1, date: $2, into: &$3) }
            harness.advance(.milliseconds(5))
            harness.on { $0.timerFired(.poll, now: $1, date: $2, into: &$3) }
        }
        #expect(polls == ["arm(poll, +40ms)", "arm(poll, +80ms)", "arm(poll, +160ms)", "arm(poll, +320ms)",
                          "arm(poll, +640ms)", "arm(poll, +1000ms)", "arm(poll, +1000ms)"])
        let job = harness.job()
        harness.on { $0.claimed(.success([job]), now: $1, date: $2, into: &$3) }
        #expect(harness.machine.pollDelay == .milliseconds(20))
    }

    @Test func aJobDueLaterArmsTheDueTimerOnceAndIsClaimedWhenItFires() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        harness.on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) }
        let due = harness.date.addingTimeInterval(5)
        #expect(harness.on { $0.nextDueRead(.success(due), now: $1, date: $2, into: &$3) } == ["arm(due, +5000ms)"])
        #expect(harness.on { $0.wake(at: due.addingTimeInterval(1), now: $1, date: $2, into: &$3) } == [],
                "a later job does not move the armed timer")
        #expect(harness.on { $0.wake(at: due.addingTimeInterval(-1), now: $1, date: $2, into: &$3) } == ["arm(due, +4000ms)"])
        harness.advance(.seconds(4))
        #expect(harness.on { $0.timerFired(.due, now: $1, date: $2, into: &$3) } == ["claim(4)"])
    }

    @Test func aDateBeyondTheLoopsRangeIsClampedToADay() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        harness.on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) }
        #expect(harness.on { $0.wake(at: .distantFuture, now: $1, date: $2, into: &$3) } == ["arm(due, +86400000ms)"])
    }

    @Test func aJobDueWhileAClaimIsInFlightIsClaimedRightAfterIt() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        #expect(harness.on { $0.wake(at: $2, now: $1, date: $2, into: &$3) } == [], "one claim at a time")
        #expect(harness.on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) } == ["claim(4)"],
                "the empty claim may have missed the job: claim again")
    }

    // MARK: Endings

    @Test func handlersEndingTogetherAreRecordedInOneWriteThatClaimsForTheirSlots() {
        var harness = Harness()
        let jobs = [harness.job(), harness.job(), harness.job()]
        harness.started(with: jobs)
        #expect(harness.on { machine, now, date, actions in
            machine.handlersEnded([(jobs[0].id, .returned(nil)), (jobs[1].id, .returned(nil))], now: now, date: date, into: &actions)
        } == ["settleLater"])
        #expect(harness.on { $0.settled(now: $1, date: $2, into: &$3) }
                == ["writeEndings(\(jobs[0].id):finished,\(jobs[1].id):finished, thenClaim: 3)"])
        #expect(harness.end([jobs[2]]) == [], "a write is in flight: the next ending waits for it")
        #expect(harness.answerWrite().last == "writeEndings(\(jobs[2].id):finished, thenClaim: 4)")
    }

    @Test func endingsWaitForOtherHandlersAtMostTheLastWritesDuration() {
        var harness = Harness(concurrency: 2)
        let (a, b, c) = (harness.job(), harness.job(), harness.job())
        harness.started(with: [a, b])
        #expect(harness.end([a]) == ["writeEndings(\(a.id):finished, thenClaim: 1)"], "no write measured yet: no wait")
        harness.answerWrite(claimed: [c], took: .microseconds(400))
        harness.advance(.microseconds(100))
        #expect(harness.end([b]) == ["arm(endingGather, +400us)"],
                "c just started: b's ending waits for it as long as the last write took")
        harness.advance(.microseconds(400))
        #expect(harness.on { $0.timerFired(.endingGather, now: $1, date: $2, into: &$3) }
                == ["writeEndings(\(b.id):finished, thenClaim: 1)"])
    }

    @Test func aFailedEndingIsWrittenAgainWithBackOffUntilTheStoreTakesIt() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job])
        harness.end([job])
        var delays: [String] = []
        for _ in 0..<3 {
            let actions = harness.answerWrite([.failure(Self.outage)])
            delays += actions.filter { $0.hasPrefix("arm(endingRetry") }
            #expect(harness.machine.unrecordedEndings == [job.id], "the ending is kept")
            harness.advance(.seconds(5))
            #expect(harness.on { $0.timerFired(.endingRetry, now: $1, date: $2, into: &$3) } == ["settleLater"])
            harness.on { $0.settled(now: $1, date: $2, into: &$3) }
        }
        #expect(delays == ["arm(endingRetry, +100ms)", "arm(endingRetry, +200ms)", "arm(endingRetry, +400ms)"])
        let batch = harness.writtenBatch!
        #expect(harness.answerWrite([.success(nil)]).contains("verifyEnding(\(job.id))"),
                "'not running here' after a failed write: the store tells whether the earlier write was applied")
        let stored = harness.stored(batch.requests[0])
        #expect(harness.on { $0.endingVerified(batch.entries[0], batch.requests[0], .success(stored), now: $1, date: $2, into: &$3) }
                == ["callExitHandler(\(job.id), finished)"])
        #expect(harness.machine.unrecordedEndings.isEmpty)
    }

    @Test func anEndingTheStoreRefusesForWhatItHoldsIsWrittenAsErrored() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job])
        harness.end([job])
        let refusal = JobStoreError(.invalidDocument, operation: "finish", reason: "result too deep")
        harness.answerWrite([.failure(refusal)])
        harness.advance(.seconds(1))
        harness.on { $0.timerFired(.endingRetry, now: $1, date: $2, into: &$3) }
        harness.on { $0.settled(now: $1, date: $2, into: &$3) }
        #expect(harness.writtenBatch?.requests.first?.status == .errored)
        #expect(harness.writtenBatch?.requests.first?.output?.error?.contains("result too deep") == true)
    }

    // MARK: Outages and lost claims

    @Test func aClaimLostInAnOutageIsReleasedBeforeTheNextClaim() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        let mine = harness.job()
        harness.on { $0.claimed(.success([mine]), now: $1, date: $2, into: &$3) }
        #expect(harness.on { $0.claimed(.failure(Self.outage), now: $1, date: $2, into: &$3) } == ["arm(poll, +100ms)"])
        #expect(harness.machine.outage.since != nil)
        harness.advance(.milliseconds(100))
        #expect(harness.on { $0.timerFired(.poll, now: $1, date: $2, into: &$3) } == ["listClaims"])
        let lost = ObjectId()
        let listed = [mine, harness.job()].map {
            RunningJobReference(id: $0.id, name: $0.name, workerId: $0.workerId, updatedAt: $0.updatedAt, sync: false)
        } + [RunningJobReference(id: lost, name: "plain", workerId: harness.machine.workerId, updatedAt: harness.date, sync: false)]
        let inline = listed[1]
        let answer = harness.on { machine, now, date, actions in
            machine.claimsListed(.success([listed[0], listed[2], RunningJobReference(
                id: inline.id, name: inline.name, workerId: inline.workerId, updatedAt: inline.updatedAt, sync: true)]),
                now: now, date: date, into: &actions)
        }
        #expect(answer == ["releaseLostClaims(\(lost))"], "its own running job and inline runs are left alone")
        #expect(harness.machine.outage.since == nil, "the store answered: the outage is over")
        #expect(harness.on { $0.lostClaimsReleased(1, now: $1, date: $2, into: &$3) } == ["claim(3)"])
    }

    @Test func failedClaimsBackOffExponentially() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        var polls: [String] = []
        for _ in 0..<8 {
            polls += harness.on { $0.claimed(.failure(Self.outage), now: $1, date: $2, into: &$3) }
            harness.advance(.seconds(5))
            let next = harness.on { $0.timerFired(.poll, now: $1, date: $2, into: &$3) }
            #expect(next == ["listClaims"])
            harness.on { $0.claimsListed(.failure(Self.outage), now: $1, date: $2, into: &$3) }.forEach { polls.append($0) }
            harness.advance(.seconds(5))
            harness.on { $0.timerFired(.poll, now: $1, date: $2, into: &$3) }
            harness.on { $0.claimsListed(.success([]), now: $1, date: $2, into: &$3) }
            harness.on { $0.lostClaimsReleased(0, now: $1, date: $2, into: &$3) }
        }
        #expect(Array(polls.prefix(4)) == ["arm(poll, +100ms)", "arm(poll, +200ms)", "arm(poll, +400ms)", "arm(poll, +800ms)"])
        #expect(polls.last == "arm(poll, +5000ms)", "capped at 5 s")
    }

    @Test func noWorkerIsDeclaredDeadUntilATimeoutAfterTheStoreCameBack() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        harness.advance(.seconds(2))
        harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) }
        harness.on { $0.heartbeatAnswered(.failure(Self.outage), now: $1, date: $2, into: &$3) }
        harness.advance(.seconds(2))
        harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) }
        #expect(!harness.on { $0.heartbeatAnswered(.success(true), now: $1, date: $2, into: &$3) }.contains("scanForDeadWorkers"),
                "every other worker's heartbeat failed too: none is dead yet")
        for _ in 0..<4 {
            harness.advance(.seconds(2))
            harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) }
            #expect(!harness.on { $0.heartbeatAnswered(.success(true), now: $1, date: $2, into: &$3) }.contains("scanForDeadWorkers"))
        }
        harness.advance(.seconds(2))
        harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) }
        #expect(harness.on { $0.heartbeatAnswered(.success(true), now: $1, date: $2, into: &$3) }.contains("scanForDeadWorkers"))
    }

    // MARK: Heartbeat and recovery scans

    @Test func heartbeatsScanForDeadWorkersOnlyOnceTheScheduleSaysOneMayBeDead() {
        var harness = Harness()
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        var scans: [Int] = []
        for beat in 1...10 {
            harness.advance(.seconds(2))
            #expect(harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) } == ["heartbeat"])
            let actions = harness.on { $0.heartbeatAnswered(.success(true), now: $1, date: $2, into: &$3) }
            #expect(actions.contains("arm(heartbeat, +2000ms)"))
            if actions.contains("scanForDeadWorkers") {
                scans.append(beat)
                let next = RecoveryScanSchedule.next(after: harness.date, lastSeen: [], timeout: .seconds(10), heartbeat: .seconds(2))
                harness.on { $0.deadWorkersScanned(.success(RecoveryScan(recovered: [], nextScan: next)), now: $1, date: $2, into: &$3) }
            }
        }
        #expect(scans == [1, 5, 9], "every timeout − heartbeat (8 s), not every heartbeat")
    }

    @Test func aWorkerWhoseDocumentIsGoneShutsDown() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job])
        harness.on { $0.timerFired(.heartbeat, now: $1, date: $2, into: &$3) }
        let actions = harness.on { $0.heartbeatAnswered(.success(false), now: $1, date: $2, into: &$3) }
        #expect(harness.machine.phase == .draining)
        #expect(actions.contains("fireSignal(\(job.id), shutdown)"))
        #expect(!actions.contains { $0.hasPrefix("arm(heartbeat") })
    }

    // MARK: Maximum runtime, kill and shutdown

    @Test func aJobPastItsMaximumRuntimeIsSignalledThenAbandonedAfterTheGracePeriod() {
        var harness = Harness()
        let job = harness.job("limited")
        harness.on { $0.start(now: $1, date: $2, into: &$3) }
        #expect(harness.on { $0.claimed(.success([job]), now: $1, date: $2, into: &$3) }.contains("arm(maxRuntime(\(job.id)), +60000ms)"))
        harness.on { $0.claimed(.success([]), now: $1, date: $2, into: &$3) }
        harness.advance(.seconds(60))
        #expect(harness.on { $0.timerFired(.maxRuntime(job.id), now: $1, date: $2, into: &$3) }
                == ["fireSignal(\(job.id), maxRuntimeExceeded)", "arm(grace(\(job.id)), +10000ms)"])
        harness.advance(.seconds(10))
        #expect(harness.on { $0.timerFired(.grace(job.id), now: $1, date: $2, into: &$3) }
                == ["cancel(grace(\(job.id)))", "cancel(maxRuntime(\(job.id)))", "settleLater"])
        harness.on { $0.settled(now: $1, date: $2, into: &$3) }
        let request = harness.writtenBatch?.requests.first
        #expect(request?.status == .errored)
        #expect(request?.output?.error == "Max runtime exceeded")
        #expect(harness.machine.running.isEmpty, "the abandoned handler's slot is free")
    }

    @Test func aResumableJobPastItsMaximumRuntimePausesAndResumesOneRuntimeLater() {
        var harness = Harness()
        let job = harness.job("resumable")
        harness.started(with: [job])
        harness.advance(.seconds(60))
        harness.on { $0.timerFired(.maxRuntime(job.id), now: $1, date: $2, into: &$3) }
        harness.advance(.seconds(1))
        harness.end([job], .threw("cancelled"))
        let request = harness.writtenBatch?.requests.first
        #expect(request?.status == .paused)
        #expect(request?.resumeAt == harness.date.addingTimeInterval(60))
    }

    @Test func aKillSignalInterruptsTheJobWhichEndsKilledAndIsAcknowledged() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job])
        harness.advance(.seconds(1))
        #expect(harness.on { $0.timerFired(.signalCheck, now: $1, date: $2, into: &$3) } == ["readSignals", "arm(signalCheck, +1000ms)"])
        let signal = SignalRecord(kind: .kill, jobId: job.id, workerId: harness.machine.workerId, createdAt: harness.date)
        #expect(harness.on { $0.signalsRead(.success([signal]), now: $1, date: $2, into: &$3) }
                == ["fireSignal(\(job.id), killed)", "arm(grace(\(job.id)), +10000ms)", "acknowledgeSignals(1)"])
        harness.end([job], .threw("cancelled"))
        #expect(harness.writtenBatch?.requests.first?.status == .killed)
        #expect(harness.answerWrite().contains("callExitHandler(\(job.id), killed)"))
    }

    @Test func shutdownSignalsRunningJobsAndRemovesTheWorkerOnceEverythingIsWritten() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job], answeringTheNextClaim: false)
        let actions = harness.on { machine, now, _, actions in machine.shutdownRequested(now: now, into: &actions) }
        #expect(actions == ["cancel(poll)", "cancel(due)", "cancel(heartbeat)", "cancel(signalCheck)", "stopBackgroundWork",
                            "fireSignal(\(job.id), shutdown)", "arm(grace(\(job.id)), +10000ms)"])
        // The claim that was in flight comes back: its job goes back unrun, at once.
        let late = harness.job()
        harness.on { $0.claimed(.success([late]), now: $1, date: $2, into: &$3) }
        #expect(harness.writtenBatch?.requests.map(\.status) == [.pending])
        harness.end([job], .threw("cancelled"))
        #expect(harness.answerWrite() == ["writeEndings(\(job.id):errored, thenClaim: nil)"],
                "the interrupted job is recorded, with no claim")
        #expect(harness.answerWrite() == ["callExitHandler(\(job.id), errored)"])
        #expect(harness.machine.phase == .draining, "shutdown waits for onJobExited")
        #expect(harness.on { machine, _, _, actions in machine.sideWorkEnded(into: &actions) } == ["removeWorker"])
        #expect(harness.machine.phase == .stopped)
    }

    @Test func shutdownLeavesEndingsTheStoreStillRefusesToCrashRecoveryAfterTheGracePeriod() {
        var harness = Harness()
        let job = harness.job()
        harness.started(with: [job])
        harness.on { machine, now, _, actions in machine.shutdownRequested(now: now, into: &actions) }
        harness.end([job], .threw("cancelled"))
        var removed = false
        for _ in 0..<20 where !removed {
            guard harness.pendingWrite != nil else { break }
            harness.answerWrite([.failure(Self.outage)])
            harness.advance(.seconds(5))
            let retry = harness.on { $0.timerFired(.endingRetry, now: $1, date: $2, into: &$3) }
            removed = retry.contains("removeWorker")
            if !removed { harness.on { $0.settled(now: $1, date: $2, into: &$3) } }
        }
        #expect(removed, "the worker stops once the grace period is over")
        #expect(harness.machine.unrecordedEndings.isEmpty)
    }
}
