import Foundation
import Queue

extension JobStoreConformance {
    /// The job options the stores hold and apply: priorities, expiry, unique keys, attempts.
    static let optionChecks: [Check] = [
        Check("aJobsPriorityIsStoredAndReadBack") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job(priority: 7))
            try expect(job.priority, equals: 7)
            try await expect(store.job(id: job.id)?.priority, equals: 7)
            try await expect(store.job(id: store.insert(Fixture.job()).id)?.priority, equals: 0, "the default")
        },
        Check("claimsTakeTheHighestPriorityFirstThenTheEarliestDue") { stores in
            let store = try await stores.openPrepared()
            let early = try await store.insert(Fixture.job("a", due: -30))
            let urgent = try await store.insert(Fixture.job("b", due: -1, priority: 5))
            let urgentEarlier = try await store.insert(Fixture.job("a", due: -2, priority: 5))
            let most = try await store.insert(Fixture.job("b", due: 0, priority: 9))
            let later = try await store.insert(Fixture.job("b", due: -10))
            _ = try await store.insert(Fixture.job("a", due: 60, priority: 100))  // not due: never ahead
            let scope = Fixture.scope("a", "b")
            var order: [ObjectId] = []
            while let job = try await store.claim(scope, now: Fixture.now) { order.append(job.id) }
            try expect(order, equals: [most.id, urgentEarlier.id, urgent.id, early.id, later.id],
                       "highest priority first, then earliest scheduled_for; a job not due waits")
        },
        Check("batchClaimsTakeJobsInPriorityOrder") { stores in
            let store = try await stores.openPrepared()
            var low: [Job] = []
            for index in 0..<4 { low.append(try await store.insert(Fixture.job(due: Double(-10 - index)))) }
            let high = try await store.insert(Fixture.job(due: 0, priority: 1))
            let scope = Fixture.scope("send-mail")
            var batches: [[Job]] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 3), !batch.isEmpty { batches.append(batch) }
            try expect(batches.flatMap { $0 }.map(\.id), equals: [high.id, low[3].id, low[2].id, low[1].id, low[0].id],
                       "the high one, then the earliest")
            try expect(batches.map(\.count).allSatisfy { $0 <= 3 }, "at most 3 jobs a batch")
        },
        Check("aFloodOfLowPriorityJobsDelaysAHighOneByAtMostOneClaimBatch") { stores in
            let store = try await stores.openPrepared()
            for index in 0..<300 { _ = try await store.insert(Fixture.job(due: Double(-600 + index))) }
            let scope = Fixture.scope("send-mail")
            let batch = 10
            let before = try await store.claim(scope, now: Fixture.now, limit: batch)
            try expect(!before.isEmpty, "jobs of the flood")
            // Scheduled after the flood and due last: the next batch takes it first.
            let high = try await store.insert(Fixture.job(due: 0, priority: 1))
            let next = try await store.claim(scope, now: Fixture.now, limit: batch)
            try expect(next.first?.id, equals: high.id, "the high-priority job heads the next batch")
        },
        Check("aPausedJobKeepsItsPriorityWhenItIsClaimedAgain") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job(due: 0, priority: 3))
            let worker = Fixture.scope(job.name)
            _ = try await store.claim(worker, now: Fixture.now)
            _ = try await store.finish(job.id, by: worker.workerId, as: .paused, output: nil, at: Fixture.at(1))
            let other = try await store.insert(Fixture.job(due: -100))
            try await expect(store.claim(worker, now: Fixture.at(2))?.id, equals: job.id, "the paused job, by its priority")
            try await expect(store.claim(worker, now: Fixture.at(2))?.id, equals: other.id)
        },
        Check("nextDueIsTheEarliestDueTimeWhateverThePriority") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.insert(Fixture.job(due: 50, priority: 8))
            _ = try await store.insert(Fixture.job(due: 40))
            try await expect(store.nextDue(Fixture.scope("send-mail")), equals: Fixture.at(40))
            _ = try await store.insert(Fixture.job(due: 30, priority: 2))
            try await expect(store.nextDue(Fixture.scope("send-mail")), equals: Fixture.at(30))
        },
        Check("aJobWhoseUniqueKeyAnActiveJobHoldsIsNotStoredAndTheHolderReturned") { stores in
            let store = try await stores.openPrepared()
            var first = Fixture.job()
            first.uniqueKey = "report:42"
            let holder = try await store.insert(first)
            try expect(holder.uniqueKey, equals: "report:42")
            var twin = Fixture.job("other-name", createdAt: 1)
            twin.uniqueKey = "report:42"
            let returned = try await store.insert(twin)
            try expect(returned.id, equals: holder.id, "the active holder, whatever the name")
            try await expect(store.job(id: twin.id), equals: nil, "nothing stored")
            var otherKey = Fixture.job()
            otherKey.uniqueKey = "report:43"
            try await expect(store.insert(otherKey).id, equals: otherKey.id, "another key is free")
            try await expect(store.insert(Fixture.job()).status, equals: .pending, "jobs without a key are unaffected")
        },
        Check("aUniqueKeyIsHeldWhileRunningOrPausedAndFreedOnceItsJobEnds") { stores in
            let store = try await stores.openPrepared()
            func keyed() -> Job {
                var job = Fixture.job()
                job.uniqueKey = "sync"
                return job
            }
            let holder = try await store.insert(keyed())
            let worker = Fixture.scope(holder.name)
            _ = try await store.claim(worker, now: Fixture.now)
            try await expect(store.insert(keyed()).id, equals: holder.id, "held while running")
            _ = try await store.finish(holder.id, by: worker.workerId, as: .paused, output: nil, at: Fixture.at(1))
            try await expect(store.insert(keyed()).id, equals: holder.id, "held while paused")
            _ = try await store.claim(worker, now: Fixture.at(2))
            _ = try await store.finish(holder.id, by: worker.workerId, as: .finished, output: JobOutput(result: .null), at: Fixture.at(3))
            let next = keyed()
            try await expect(store.insert(next).id, equals: next.id, "free once the holder finished")
            _ = try await store.kill(next.id, at: Fixture.at(4))
            let after = keyed()
            try await expect(store.insert(after).id, equals: after.id, "free once the holder was killed")
        },
        Check("aBatchReturnsTheHolderOfAUniqueKeyForEachJobThatWantsItAndStoresTheRest") { stores in
            let store = try await stores.openPrepared()
            func keyed(_ key: String, _ name: String = "send-mail") -> Job {
                var job = Fixture.job(name)
                job.uniqueKey = key
                return job
            }
            let holder = try await store.insert(keyed("held"))
            let batch = [keyed("held"), keyed("fresh"), Fixture.job("other"), keyed("fresh", "other"), keyed("held")]
            let stored = try await store.insert(many: batch)
            try expect(stored.map(\.id), equals: [holder.id, batch[1].id, batch[2].id, batch[1].id, holder.id],
                       "the holder stored before, or the first of the batch to take a key, in each keyed job's place")
            try expect(stored[1], equals: batch[1])
            try await expect(store.job(id: batch[0].id), equals: nil, "a job whose key is held is not stored")
            try await expect(store.job(id: batch[3].id), equals: nil)
            try await expect(store.jobs(matching: JobQuery()).count, equals: 3)
        },
        Check("concurrentInsertsOfOneUniqueKeyStoreOneJob") { stores in
            let handles = try await stores.openPrepared(JobStoreConformance.concurrentHandles)
            let callers = JobStoreConformance.spread(8, over: handles)
            let ids = try await withThrowingTaskGroup(of: ObjectId.self) { group in
                for store in callers {
                    group.addTask {
                        var job = Fixture.job()
                        job.uniqueKey = "once"
                        return try await store.insert(job).id
                    }
                }
                return try await group.reduce(into: Set<ObjectId>()) { $0.insert($1) }
            }
            try expect(ids.count, equals: 1, "every caller got the one stored job")
            try await expect(handles[0].jobs(matching: JobQuery()).count, equals: 1)
        },
        Check("anEndingRecordsAFailedAttemptAndARetryGoesBackToPendingWhenDue") { stores in
            let store = try await stores.openPrepared()
            var job = Fixture.job()
            job.maxAttempts = 3
            let stored = try await store.insert(job)
            try expect(stored.maxAttempts, equals: 3)
            try expect(stored.attempts, equals: 0)
            let worker = Fixture.scope(job.name)
            let claimed = try await require(store.claim(worker, now: Fixture.now), "the job, claimed")
            let failure = AttemptFailure(after: claimed, error: "boom", at: Fixture.at(1))
            let retry = FinishRequest(
                job.id, by: worker.workerId, as: .pending, output: JobOutput(error: "boom"), at: Fixture.at(1),
                resumeAt: Fixture.at(30), failure: failure)
            let pending = try await require(store.finish([retry]).first?.get(), "the retried job")
            try expect(pending.status, equals: .pending)
            try expect(pending.attempts, equals: 1)
            try expect(pending.attemptErrors, equals: [AttemptError(attempt: 1, error: "boom", at: Fixture.at(1))])
            try expect(pending.scheduledFor, equals: Fixture.at(30))
            try expect(pending.endedAt, equals: nil)
            try await expect(store.job(id: job.id), equals: pending, "as read back")
            try await expect(store.claim(worker, now: Fixture.at(29)), equals: nil, "not before its back-off")
            let again = try await require(store.claim(worker, now: Fixture.at(30)), "claimed once due")
            try expect(again.attempts, equals: 1)
            try expect(again.startedAt, equals: Fixture.now, "its first start kept")
            let last = FinishRequest(
                job.id, by: worker.workerId, as: .errored, output: JobOutput(error: "again"), at: Fixture.at(31),
                failure: AttemptFailure(after: again, error: "again", at: Fixture.at(31)))
            let errored = try await require(store.finish([last]).first?.get(), "the job, errored")
            try expect(errored.attempts, equals: 2)
            try expect(errored.attemptErrors.map(\.error), equals: ["boom", "again"])
            try await expect(store.job(id: job.id), equals: errored)
        },
        Check("anExpiredJobIsNeverClaimedAndEndsSkippedWithItsReason") { stores in
            let store = try await stores.openPrepared()
            var expiring = Fixture.job(due: -20)
            expiring.expiresAt = Fixture.at(-5)
            let expired = try await store.insert(expiring)
            try expect(expired.expiresAt, equals: Fixture.at(-5))
            let next = try await store.insert(Fixture.job(due: -10))
            let scope = Fixture.scope("send-mail")
            try await expect(store.claim(scope, now: Fixture.now)?.id, equals: next.id, "the expired job passed over")
            try await expect(store.claim(scope, now: Fixture.now), equals: nil, "nothing else to claim")
            let skipped = try await require(store.job(id: expired.id), "the expired job")
            try expect(skipped.status, equals: .skipped, "ended skipped once a claim met it")
            try expect(skipped.output?.skipMetadata?.reason, equals: SkipMetadata.expired)
            try expect(skipped.output?.skipMetadata?.skippedAt, equals: Fixture.now)
            try expect(skipped.endedAt, equals: Fixture.now)
            try expect(skipped.startedAt, equals: nil, "never started")
        },
        Check("aJobIsClaimedUntilItsExpiryAndNotAtIt") { stores in
            let store = try await stores.openPrepared()
            var job = Fixture.job(due: 0)
            job.expiresAt = Fixture.at(10)
            let stored = try await store.insert(job)
            let scope = Fixture.scope("send-mail")
            try await expect(store.claim(scope, now: Fixture.at(9.999))?.id, equals: stored.id, "before its expiry")
            var late = Fixture.job(due: 0)
            late.expiresAt = Fixture.at(10)
            let lateJob = try await store.insert(late)
            try await expect(store.claim(scope, now: Fixture.at(10)), equals: nil, "at its expiry it is not started")
            try await expect(store.job(id: lateJob.id)?.status, equals: .skipped)
        },
        Check("expiryDoesNotStopAPausedJobFromResuming") { stores in
            let store = try await stores.openPrepared()
            var job = Fixture.job(due: 0)
            job.expiresAt = Fixture.at(10)
            let stored = try await store.insert(job)
            let worker = Fixture.scope("send-mail")
            _ = try await store.claim(worker, now: Fixture.at(1))
            _ = try await store.finish(stored.id, by: worker.workerId, as: .paused, output: nil, at: Fixture.at(2))
            try await expect(store.claim(worker, now: Fixture.at(60))?.id, equals: stored.id, "started before it expired")
        },
        Check("batchClaimsPassOverExpiredJobsAndStillFillTheBatch") { stores in
            let store = try await stores.openPrepared()
            var wanted: [ObjectId] = []
            for index in 0..<6 {
                var job = Fixture.job(due: Double(-60 + index))
                if index.isMultiple(of: 2) { job.expiresAt = Fixture.at(-1) } else { wanted.append(job.id) }
                _ = try await store.insert(job)
            }
            let scope = Fixture.scope("send-mail")
            var claimed: [ObjectId] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 2), !batch.isEmpty {
                claimed += batch.map(\.id)
            }
            try expect(claimed, equals: wanted, "every job but the expired ones, in order")
            let skipped = try await store.jobs(matching: JobQuery(statuses: [.skipped]))
            try expect(skipped.count, equals: 3, "the expired ones, skipped")
        },
    ]
}
