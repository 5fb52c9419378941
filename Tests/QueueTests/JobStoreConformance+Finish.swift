import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: finish and kill")
struct FinishConformanceTests {
    /// A job claimed at ``Fixture/now`` by a new worker, and that worker.
    private func runningJob(in store: any JobStore, _ name: String = "send-mail") async throws -> (Job, ObjectId) {
        _ = try await store.insert(Fixture.job(name))
        let scope = Fixture.scope(name)
        return (try #require(try await store.claim(scope, now: Fixture.now)), scope.workerId)
    }

    @Test(arguments: StoreKind.allCases, [JobStatus.finished, .errored, .killed])
    func finishRecordsTheStatusOutputAndEndAndClearsTheWorker(_ kind: StoreKind, status: JobStatus) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let output = JobOutput(duration: "1.5s", result: ["sent": true], error: status == .errored ? "boom" : nil)
            let finished = try #require(try await store.finish(job.id, by: worker, as: status, output: output, at: Fixture.at(2)))
            var expected = job
            expected.status = status
            expected.output = output
            expected.updatedAt = Fixture.at(2)
            expected.endedAt = Fixture.at(2)
            expected.workerId = nil
            #expect(finished == expected)
            #expect(try await store.job(id: job.id) == expected)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchOfEndingsRecordsEachAsASingleFinishWould(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (done, worker) = try await runningJob(in: store)
            let (failed, otherWorker) = try await runningJob(in: store, "export")
            let (paused, thirdWorker) = try await runningJob(in: store, "resumable")
            let results = await store.finish([
                FinishRequest(done.id, by: worker, as: .finished, output: JobOutput(result: ["ok": true]), at: Fixture.at(2)),
                FinishRequest(failed.id, by: worker, as: .errored, output: JobOutput(error: "boom"), at: Fixture.at(2)),
                FinishRequest(paused.id, by: thirdWorker, as: .paused, output: nil, at: Fixture.at(3), resumeAt: Fixture.at(60)),
                FinishRequest(ObjectId(), by: worker, as: .finished, output: nil, at: Fixture.at(2)),
            ])
            #expect(results.count == 4)
            let recorded = try results.map { try $0.get() }
            #expect(recorded[0]?.status == .finished && recorded[0]?.endedAt == Fixture.at(2))
            #expect(recorded[0]?.output?.result == ["ok": true])
            #expect(recorded[1] == nil, "not running on that worker: left as it is")
            #expect(try await store.job(id: failed.id)?.status == .running)
            #expect(try await store.job(id: failed.id)?.workerId == otherWorker)
            #expect(recorded[2]?.status == .paused && recorded[2]?.endedAt == nil && recorded[2]?.scheduledFor == Fixture.at(60))
            #expect(recorded[3] == nil, "no such job")
            #expect(await store.finish([]).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func endingsCarryingTheirClaimedJobsReturnTheJobsAsStored(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (done, worker) = try await runningJob(in: store)
            let (paused, otherWorker) = try await runningJob(in: store, "resumable")
            let (taken, _) = try await runningJob(in: store, "export")
            let later = Fixture.at(2).addingTimeInterval(0.000_7)  // not a whole millisecond, as a worker's clock reads
            let results = try await store.finish([
                FinishRequest(done.id, by: worker, as: .finished, output: JobOutput(duration: "2s", result: ["n": 1]),
                              at: later, claimed: done),
                FinishRequest(paused.id, by: otherWorker, as: .paused, output: nil, at: later,
                              resumeAt: Fixture.at(60).addingTimeInterval(0.000_3), claimed: paused),
                FinishRequest(taken.id, by: worker, as: .finished, output: nil, at: later, claimed: taken),
            ]).map { try $0.get() }
            let (storedDone, storedPaused) = (try await store.job(id: done.id), try await store.job(id: paused.id))
            #expect(results[0] != nil && results[0] == storedDone)
            #expect(results[0]?.status == .finished && results[0]?.endedAt != nil)
            #expect(results[1] != nil && results[1] == storedPaused)
            #expect(results[1]?.status == .paused && results[1]?.endedAt == nil)
            #expect(results[2] == nil, "claimed by another worker: not recorded, though the request carried the job")
            #expect(try await store.job(id: taken.id)?.status == .running)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func finishingThenClaimingRecordsTheEndingsAndClaimsTheEarliestDueJobs(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (first, worker) = try await runningJob(in: store)
            let (second, otherWorker) = try await runningJob(in: store, "export")
            let later = try await store.insert(Fixture.job("send-mail", due: 2))
            let earlier = try await store.insert(Fixture.job("export", due: 1))
            _ = try await store.insert(Fixture.job("send-mail", due: 30))  // not due yet
            let scope = ClaimScope(workerId: worker, names: ["send-mail", "export"])
            let outcome = await store.finish([
                FinishRequest(first.id, by: worker, as: .finished, output: nil, at: Fixture.at(5), claimed: first),
                FinishRequest(second.id, by: worker, as: .finished, output: nil, at: Fixture.at(5)),
            ], thenClaim: scope, now: Fixture.at(5), limit: 3)
            let endings = try outcome.endings.map { try $0.get() }
            #expect(endings[0]?.status == .finished)
            #expect(endings[1] == nil, "running on another worker: left as it is")
            #expect(try await store.job(id: second.id)?.workerId == otherWorker)
            // A store may claim fewer than the limit per call (MongoDB: one): claim on until none comes.
            var claimed = try outcome.claimed.get()
            while claimed.count < 3 {
                let more = await store.finish([], thenClaim: scope, now: Fixture.at(5), limit: 3 - claimed.count)
                #expect(more.endings.isEmpty)
                guard case .success(let jobs) = more.claimed, !jobs.isEmpty else { break }
                claimed += jobs
            }
            #expect(claimed.map(\.id) == [earlier.id, later.id], "the due ones, earliest first; the job due later stays")
            #expect(claimed.allSatisfy { $0.status == .running && $0.workerId == worker })
            #expect(try await store.job(id: first.id)?.status == .finished)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchNamingAJobTwiceRecordsOnlyItsFirstEnding(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let (other, otherWorker) = try await runningJob(in: store, "export")
            let results = try await store.finish([
                FinishRequest(job.id, by: worker, as: .finished, output: JobOutput(result: ["first": true]), at: Fixture.at(2)),
                FinishRequest(other.id, by: otherWorker, as: .errored, output: JobOutput(error: "boom"), at: Fixture.at(2)),
                FinishRequest(job.id, by: worker, as: .errored, output: JobOutput(error: "second"), at: Fixture.at(3)),
            ]).map { try $0.get() }
            #expect(results[0]?.status == .finished && results[0]?.output?.result == ["first": true])
            #expect(results[1]?.status == .errored)
            #expect(results[2] == nil, "the job had ended: the second ending finds it no longer running")
            #expect(try await store.job(id: job.id)?.status == .finished)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func pausingKeepsEndedAtNilAndFreesTheWorker(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let paused = try #require(try await store.finish(job.id, by: worker, as: .paused, output: nil, at: Fixture.at(2)))
            #expect(paused.status == .paused)
            #expect(paused.endedAt == nil)
            #expect(paused.workerId == nil)
            #expect(paused.startedAt == job.startedAt)
            #expect(paused.updatedAt == Fixture.at(2))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func releasingAsPendingMakesTheJobClaimableAgainWithoutEndingIt(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let released = try #require(try await store.finish(job.id, by: worker, as: .pending, output: nil, at: Fixture.at(2)))
            #expect(released.status == .pending)
            #expect(released.endedAt == nil)
            #expect(released.workerId == nil)
            let again = try await store.claim(ClaimScope(workerId: ObjectId(), names: [job.name]), now: Fixture.at(3))
            #expect(again?.id == job.id)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func pausingWithAResumeTimeMovesTheDueTime(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let paused = try await store.finish(job.id, by: worker, as: .paused, output: nil, at: Fixture.at(2), resumeAt: Fixture.at(600))
            #expect(paused?.scheduledFor == Fixture.at(600))
            #expect(try await store.claim(ClaimScope(workerId: ObjectId(), names: [job.name]), now: Fixture.at(599)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func finishByAnotherWorkerReturnsNilAndChangesNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, _) = try await runningJob(in: store)
            #expect(try await store.finish(job.id, by: ObjectId(), as: .finished, output: nil, at: Fixture.at(2)) == nil)
            #expect(try await store.job(id: job.id) == job)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func finishOfAJobThatIsNotRunningReturnsNilAndChangesNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let pending = try await store.insert(Fixture.job("pending"))
            #expect(try await store.finish(pending.id, by: ObjectId(), as: .finished, output: nil, at: Fixture.at(1)) == nil)
            #expect(try await store.job(id: pending.id) == pending)

            let (job, worker) = try await runningJob(in: store)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(2))
            #expect(try await store.finish(job.id, by: worker, as: .errored, output: nil, at: Fixture.at(3)) == nil)
            #expect(try await store.job(id: job.id) == finished)
            #expect(try await store.finish(ObjectId(), by: worker, as: .finished, output: nil, at: Fixture.at(3)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func killMarksAPendingJobKilledAtOnce(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job())
            guard case .killed(let killed) = try await store.kill(job.id, at: Fixture.at(4)) else {
                Issue.record("a pending job is killed at once")
                return
            }
            #expect(killed.status == .killed && killed.endedAt == Fixture.at(4) && killed.updatedAt == Fixture.at(4))
            #expect(try await store.job(id: job.id) == killed)
            #expect(try await store.claim(Fixture.scope(job.name), now: Fixture.at(5)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func killMarksAPausedJobKilledAtOnce(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            _ = try await store.finish(job.id, by: worker, as: .paused, output: nil, at: Fixture.at(1))
            let outcome = try await store.kill(job.id, at: Fixture.at(4))
            #expect(outcome == .killed(try #require(try await store.job(id: job.id))))
            #expect(try await store.job(id: job.id)?.status == .killed)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func killOfARunningJobSignalsItsWorkerAndLeavesTheJobRunning(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            #expect(try await store.kill(job.id, at: Fixture.at(4)) == .signalled(workerId: worker))
            #expect(try await store.job(id: job.id) == job)
            let signals = try await store.pendingSignals(for: worker)
            #expect(signals.count == 1)
            let signal = try #require(signals.first)
            #expect(signal.kind == .kill && signal.jobId == job.id && signal.workerId == worker)
            #expect(signal.createdAt == Fixture.at(4) && !signal.acknowledged)
            // The worker then records the kill itself.
            #expect(try await store.finish(job.id, by: worker, as: .killed, output: nil, at: Fixture.at(5))?.status == .killed)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func killLeavesAnEndedJobAsItIsAndReportsAnUnknownOne(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (job, worker) = try await runningJob(in: store)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(2))
            #expect(try await store.kill(job.id, at: Fixture.at(4)) == .alreadyEnded(.finished))
            #expect(try await store.job(id: job.id) == finished)
            #expect(try await store.pendingSignals(for: worker).isEmpty)
            #expect(try await store.kill(ObjectId(), at: Fixture.at(4)) == .notFound)
        }
    }
}
