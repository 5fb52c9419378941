import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/claim(_:now:)``, ``JobStore/claim(_:now:limit:)`` and ``JobStore/nextDue(_:)``.
    static let claimChecks: [Check] = [
        Check("claimSetsRunningTheWorkerAndTheStartAndUpdateTimes") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job(payload: ["to": "a@example.com"]))
            let scope = Fixture.scope(job.name)
            let claimed = try await require(store.claim(scope, now: Fixture.at(2)), "the due job, claimed")
            var expected = job
            expected.status = .running
            expected.workerId = scope.workerId
            expected.startedAt = Fixture.at(2)
            expected.updatedAt = Fixture.at(2)
            try expect(claimed, equals: expected)
            try await expect(store.job(id: job.id), equals: expected)
        },
        Check("claimTakesOnlyJobsDueByNow") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job(due: 60))
            let scope = Fixture.scope(job.name)
            try await expect(store.claim(scope, now: Fixture.at(59.999)), equals: nil)
            try await expect(store.claim(scope, now: Fixture.at(60))?.id, equals: job.id, "due exactly now is due")
        },
        Check("claimTakesTheEarliestDueJobFirstThenTheLowestId") { stores in
            let store = try await stores.openPrepared()
            let late = try await store.insert(Fixture.job(due: -10))
            let tieA = Job(id: try require(ObjectId("000000000000000000000002")), name: "send-mail",
                           scheduledFor: Fixture.at(-20), updatedAt: Fixture.now, createdAt: Fixture.now)
            let tieB = Job(id: try require(ObjectId("000000000000000000000001")), name: "send-mail",
                           scheduledFor: Fixture.at(-20), updatedAt: Fixture.now, createdAt: Fixture.now)
            let early = try await store.insert(Fixture.job("other", due: -30))
            _ = try await store.insert(tieA)
            _ = try await store.insert(tieB)
            let scope = Fixture.scope("send-mail", "other")
            var order: [ObjectId] = []
            while let job = try await store.claim(scope, now: Fixture.now) { order.append(job.id) }
            try expect(order, equals: [early.id, tieB.id, tieA.id, late.id])
        },
        Check("batchClaimsTakeAtMostTheirLimitInTheOrderOfSingleClaims") { stores in
            let store = try await stores.openPrepared()
            var due: [Job] = []
            for index in 0..<5 {
                due.append(try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "a" : "b", due: Double(-index))))
            }
            _ = try await store.insert(Fixture.job("a", due: 60))
            _ = try await store.insert(Fixture.job("elsewhere"))
            let scope = Fixture.scope("a", "b")
            var batches: [[Job]] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 3), !batch.isEmpty { batches.append(batch) }
            let claimed = batches.flatMap { $0 }
            try expect(claimed.map(\.id), equals: due.reversed().map(\.id), "earliest scheduled_for first, each due job once")
            try expect(claimed.allSatisfy { $0.status == .running && $0.workerId == scope.workerId && $0.startedAt == Fixture.now },
                       "every claimed job running on the claimer, started now")
            try expect(batches.map(\.count).allSatisfy { $0 <= 3 }, "at most 3 jobs a batch")
        },
        Check("claimTakesOnlyNamesInScope") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job("mail"))
            try await expect(store.claim(Fixture.scope("export"), now: Fixture.now), equals: nil)
            try await expect(store.claim(ClaimScope(workerId: ObjectId(), names: []), now: Fixture.now), equals: nil)
            try await expect(store.claim(Fixture.scope("export", "mail"), now: Fixture.now)?.id, equals: job.id)
        },
        Check("claimResumesAPausedJobKeepingItsStartTime") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job())
            let first = Fixture.scope(job.name)
            _ = try await store.claim(first, now: Fixture.at(1))
            let paused = try await require(
                store.finish(job.id, by: first.workerId, as: .paused, output: nil, at: Fixture.at(2)), "the job, paused")
            try expect(paused.status, equals: .paused)
            try expect(paused.workerId, equals: nil)
            try expect(paused.endedAt, equals: nil)
            let second = Fixture.scope(job.name)
            let resumed = try await require(store.claim(second, now: Fixture.at(3)), "the paused job, claimed again")
            try expect(resumed.status, equals: .running)
            try expect(resumed.workerId, equals: second.workerId)
            try expect(resumed.startedAt, equals: Fixture.at(1))
            try expect(resumed.updatedAt, equals: Fixture.at(3))
        },
        Check("aJobIsNeverClaimedTwiceNorOnceItHasEnded") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job())
            let scope = Fixture.scope(job.name)
            try await expect(store.claim(scope, now: Fixture.now)?.id, equals: job.id)
            try await expect(store.claim(Fixture.scope(job.name), now: Fixture.at(1)), equals: nil, "running")
            _ = try await store.finish(job.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.at(2))
            try await expect(store.claim(Fixture.scope(job.name), now: Fixture.at(3)), equals: nil, "finished")
            let twin = try await store.insert(Fixture.job("x", concurrency: .exclusive))
            let skipped = try await store.insert(Fixture.job("x", concurrency: .exclusive))
            try expect(skipped.status, equals: .skipped)
            try await expect(store.claim(Fixture.scope("x"), now: Fixture.now)?.id, equals: twin.id)
            try await expect(store.claim(Fixture.scope("x"), now: Fixture.now), equals: nil, "skipped")
        },
    ] + [1, 4].map { batch in
        Check("eightConcurrentClaimersClaimEachOfFiftyJobsExactlyOnce(batch: \(batch))") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            var inserted: Set<ObjectId> = []
            for (index, store) in spread(50, over: handles).enumerated() {
                inserted.insert(try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "a" : "b", due: Double(-index))).id)
            }
            let claims = try await Fixture.claimAll(from: spread(8, over: handles), batch: batch, names: "a", "b")
            try expect(claims.count, equals: 50)
            try expect(Set(claims.map(\.id)), equals: inserted)
            let running = try await handles[0].jobs(matching: JobQuery(statuses: [.running], limit: 100))
            try expect(running.count, equals: 50)
        }
    } + [
        Check("nextDueIsTheEarliestPendingOrPausedTimeInScopeDueOrNot") { stores in
            let store = try await stores.openPrepared()
            try await expect(store.nextDue(Fixture.scope("mail")), equals: nil)
            _ = try await store.insert(Fixture.job("mail", due: 300))
            _ = try await store.insert(Fixture.job("other", due: 10))
            try await expect(store.nextDue(Fixture.scope("mail")), equals: Fixture.at(300), "in the future")
            let running = try await store.insert(Fixture.job("mail", due: -50))
            let scope = Fixture.scope("mail")
            try await expect(store.nextDue(scope), equals: Fixture.at(-50))
            _ = try await store.claim(scope, now: Fixture.now)
            try await expect(store.nextDue(scope), equals: Fixture.at(300), "a running job is not due")
            _ = try await store.finish(running.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1))
            try await expect(store.nextDue(scope), equals: Fixture.at(-50), "a paused job is due again")
            try await expect(store.nextDue(Fixture.scope("mail", "other")), equals: Fixture.at(-50))
            try await expect(store.nextDue(ClaimScope(workerId: ObjectId(), names: [])), equals: nil)
        },
    ]
}
