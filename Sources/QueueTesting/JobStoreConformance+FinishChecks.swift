import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/finish(_:by:as:output:at:resumeAt:)``, its batches, and a batch followed by a
    /// claim.
    static let finishChecks: [Check] = [JobStatus.finished, .errored, .killed].map { status in
        Check("finishRecordsTheStatusOutputAndEndAndClearsTheWorker(\(status))") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let output = JobOutput(duration: "1.5s", result: ["sent": true], error: status == .errored ? "boom" : nil)
            let finished = try await require(
                store.finish(job.id, by: worker, as: status, output: output, at: Fixture.at(2)), "the job, ended")
            var expected = job
            expected.status = status
            expected.output = output
            expected.updatedAt = Fixture.at(2)
            expected.endedAt = Fixture.at(2)
            expected.workerId = nil
            try expect(finished, equals: expected)
            try await expect(store.job(id: job.id), equals: expected)
        }
    } + [
        Check("aBatchOfEndingsRecordsEachAsASingleFinishWould") { stores in
            let store = try await stores.openPrepared()
            let (done, worker) = try await runningJob(in: store)
            let (failed, otherWorker) = try await runningJob(in: store, "export")
            let (paused, thirdWorker) = try await runningJob(in: store, "resumable")
            let results = await store.finish([
                FinishRequest(done.id, by: worker, as: .finished, output: JobOutput(result: ["ok": true]), at: Fixture.at(2)),
                FinishRequest(failed.id, by: worker, as: .errored, output: JobOutput(error: "boom"), at: Fixture.at(2)),
                FinishRequest(paused.id, by: thirdWorker, as: .paused, output: nil, at: Fixture.at(3), resumeAt: Fixture.at(60)),
                FinishRequest(ObjectId(), by: worker, as: .finished, output: nil, at: Fixture.at(2)),
            ])
            try expect(results.count, equals: 4, "one result per request")
            let recorded = try results.map { try $0.get() }
            try expect(recorded[0]?.status, equals: .finished)
            try expect(recorded[0]?.endedAt, equals: Fixture.at(2))
            try expect(recorded[0]?.output?.result, equals: ["ok": true])
            try expect(recorded[1], equals: nil, "not running on that worker: left as it is")
            try await expect(store.job(id: failed.id)?.status, equals: .running)
            try await expect(store.job(id: failed.id)?.workerId, equals: otherWorker)
            try expect(recorded[2]?.status, equals: .paused)
            try expect(recorded[2]?.endedAt, equals: nil)
            try expect(recorded[2]?.scheduledFor, equals: Fixture.at(60))
            try expect(recorded[3], equals: nil, "no such job")
            try await expect(store.finish([]).isEmpty, "no result for no request")
        },
        Check("endingsCarryingTheirClaimedJobsReturnTheJobsAsStored") { stores in
            let store = try await stores.openPrepared()
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
            let storedDone = try await require(store.job(id: done.id), "the finished job")
            let storedPaused = try await require(store.job(id: paused.id), "the paused job")
            try expect(results[0], equals: storedDone)
            try expect(storedDone.status, equals: .finished)
            try expect(storedDone.endedAt != nil, "an end time for the finished job")
            try expect(results[1], equals: storedPaused)
            try expect(storedPaused.status, equals: .paused)
            try expect(storedPaused.endedAt, equals: nil)
            try expect(results[2], equals: nil, "claimed by another worker: not recorded, though the request carried the job")
            try await expect(store.job(id: taken.id)?.status, equals: .running)
        },
        Check("finishingThenClaimingRecordsTheEndingsAndClaimsTheEarliestDueJobs") { stores in
            let store = try await stores.openPrepared()
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
            try expect(endings[0]?.status, equals: .finished)
            try expect(endings[1], equals: nil, "running on another worker: left as it is")
            try await expect(store.job(id: second.id)?.workerId, equals: otherWorker)
            // A store may claim fewer than the limit per call (MongoDB: one): claim on until none comes.
            var claimed = try outcome.claimed.get()
            while claimed.count < 3 {
                let more = await store.finish([], thenClaim: scope, now: Fixture.at(5), limit: 3 - claimed.count)
                try expect(more.endings.isEmpty, "no ending for no request")
                guard case .success(let jobs) = more.claimed, !jobs.isEmpty else { break }
                claimed += jobs
            }
            try expect(claimed.map(\.id), equals: [earlier.id, later.id], "the due ones, earliest first; the job due later stays")
            try expect(claimed.allSatisfy { $0.status == .running && $0.workerId == worker }, "every claimed job running on the claimer")
            try await expect(store.job(id: first.id)?.status, equals: .finished)
        },
        Check("aBatchNamingAJobTwiceRecordsOnlyItsFirstEnding") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let (other, otherWorker) = try await runningJob(in: store, "export")
            let results = try await store.finish([
                FinishRequest(job.id, by: worker, as: .finished, output: JobOutput(result: ["first": true]), at: Fixture.at(2)),
                FinishRequest(other.id, by: otherWorker, as: .errored, output: JobOutput(error: "boom"), at: Fixture.at(2)),
                FinishRequest(job.id, by: worker, as: .errored, output: JobOutput(error: "second"), at: Fixture.at(3)),
            ]).map { try $0.get() }
            try expect(results[0]?.status, equals: .finished)
            try expect(results[0]?.output?.result, equals: ["first": true])
            try expect(results[1]?.status, equals: .errored)
            try expect(results[2], equals: nil, "the job had ended: the second ending finds it no longer running")
            try await expect(store.job(id: job.id)?.status, equals: .finished)
        },
        Check("pausingKeepsEndedAtNilAndFreesTheWorker") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let paused = try await require(
                store.finish(job.id, by: worker, as: .paused, output: nil, at: Fixture.at(2)), "the job, paused")
            try expect(paused.status, equals: .paused)
            try expect(paused.endedAt, equals: nil)
            try expect(paused.workerId, equals: nil)
            try expect(paused.startedAt, equals: job.startedAt)
            try expect(paused.updatedAt, equals: Fixture.at(2))
        },
        Check("releasingAsPendingMakesTheJobClaimableAgainWithoutEndingIt") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let released = try await require(
                store.finish(job.id, by: worker, as: .pending, output: nil, at: Fixture.at(2)), "the job, released")
            try expect(released.status, equals: .pending)
            try expect(released.endedAt, equals: nil)
            try expect(released.workerId, equals: nil)
            let again = try await store.claim(ClaimScope(workerId: ObjectId(), names: [job.name]), now: Fixture.at(3))
            try expect(again?.id, equals: job.id)
        },
        Check("pausingWithAResumeTimeMovesTheDueTime") { stores in
            let store = try await stores.openPrepared()
            let (job, worker) = try await runningJob(in: store)
            let paused = try await store.finish(
                job.id, by: worker, as: .paused, output: nil, at: Fixture.at(2), resumeAt: Fixture.at(600))
            try expect(paused?.scheduledFor, equals: Fixture.at(600))
            try await expect(store.claim(ClaimScope(workerId: ObjectId(), names: [job.name]), now: Fixture.at(599)), equals: nil)
        },
        Check("finishByAnotherWorkerReturnsNilAndChangesNothing") { stores in
            let store = try await stores.openPrepared()
            let (job, _) = try await runningJob(in: store)
            try await expect(store.finish(job.id, by: ObjectId(), as: .finished, output: nil, at: Fixture.at(2)), equals: nil)
            try await expect(store.job(id: job.id), equals: job)
        },
        Check("finishOfAJobThatIsNotRunningReturnsNilAndChangesNothing") { stores in
            let store = try await stores.openPrepared()
            let pending = try await store.insert(Fixture.job("pending"))
            try await expect(store.finish(pending.id, by: ObjectId(), as: .finished, output: nil, at: Fixture.at(1)), equals: nil)
            try await expect(store.job(id: pending.id), equals: pending)

            let (job, worker) = try await runningJob(in: store)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(2))
            try await expect(store.finish(job.id, by: worker, as: .errored, output: nil, at: Fixture.at(3)), equals: nil)
            try await expect(store.job(id: job.id), equals: finished)
            try await expect(store.finish(ObjectId(), by: worker, as: .finished, output: nil, at: Fixture.at(3)), equals: nil)
        },
    ]

    /// A job claimed at ``Fixture/now`` by a new worker, and that worker.
    static func runningJob(in store: any JobStore, _ name: String = "send-mail") async throws -> (Job, ObjectId) {
        _ = try await store.insert(Fixture.job(name))
        let scope = Fixture.scope(name)
        return (try await require(store.claim(scope, now: Fixture.now), "the job, claimed"), scope.workerId)
    }
}
