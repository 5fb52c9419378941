import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/syncCrons(_:at:)``, ``JobStore/advanceCron(_:from:to:creating:)`` and
    /// ``JobStore/crons()``.
    static let cronChecks: [Check] = [
        Check("declaringCronsCreatesOneDocumentEachAndKeepsTheirDueTimes") { stores in
            let store = try await stores.openPrepared()
            let declared = [Fixture.cron("a"), Fixture.cron("b", "0 * * * *", due: 120)]
            try await expect(store.syncCrons(declared, at: Fixture.now), equals: declared)
            // Declared again (another replica, a restart) with later due times: nothing changes.
            let again = declared.map { CronRecord(name: $0.name, cronString: $0.cronString, scheduledFor: Fixture.at(999)) }
            try await expect(store.syncCrons(again, at: Fixture.at(1)), equals: declared)
            try await expect(store.crons(), equals: declared)
        },
        Check("replicasDeclaringAtOnceLeaveOneDocumentPerCron") { stores in
            let replicas = try await stores.openPrepared(concurrentHandles)
            let declared = [Fixture.cron("a"), Fixture.cron("b")]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for store in replicas { group.addTask { _ = try await store.syncCrons(declared, at: Fixture.now) } }
                try await group.waitForAll()
            }
            try await expect(replicas[0].crons(), equals: declared)
        },
        Check("aChangedExpressionReschedulesAndUndeclaredCronsGoWithTheirPendingTasks") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("kept"), Fixture.cron("changed"), Fixture.cron("gone")], at: Fixture.now)
            let pendingTask = try await store.insert(Fixture.cronTask("gone", due: 0))
            let endedTask = try await store.insert(Fixture.job("gone", status: .finished, type: .cronTask))
            let changed = Fixture.cron("changed", "0 0 * * *", due: 3600)
            try await expect(store.syncCrons([Fixture.cron("kept"), changed], at: Fixture.at(1)), equals: [changed, Fixture.cron("kept")])
            try await expect(store.job(id: pendingTask.id), equals: nil)
            try await expect(store.job(id: endedTask.id) != nil, "the ended task kept: history stays")
        },
        Check("exactlyOneCallerTakesACronTick") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            _ = try await handles[0].syncCrons([Fixture.cron("tick", due: 0)], at: Fixture.now)
            let created = try await withThrowingTaskGroup(of: Job?.self) { group in
                for store in spread(6, over: handles) {
                    group.addTask {
                        try await store.advanceCron(
                            "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Fixture.cronTask("tick", due: 0))
                    }
                }
                return try await group.reduce(into: [Job]()) { if let job = $1 { $0.append(job) } }
            }
            try expect(created.count, equals: 1, "callers given the tick")
            try await expect(handles[0].crons().first?.scheduledFor, equals: Fixture.at(300))
            try await expect(handles[0].jobs(matching: JobQuery(names: ["tick"], types: [.cronTask])).count, equals: 1)
        },
        Check("exactlyOneCallerTakesATickWhoseTaskEachWouldRunItself") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            _ = try await handles[0].syncCrons([Fixture.cron("tick", due: 0)], at: Fixture.now)
            let created = try await withThrowingTaskGroup(of: Job?.self) { group in
                for store in spread(6, over: handles) {
                    group.addTask {
                        try await store.advanceCron(
                            "tick", from: Fixture.at(0), to: Fixture.at(300),
                            creating: Fixture.cronTask("tick", due: 0, createdAt: 0, runningOn: ObjectId()))
                    }
                }
                return try await group.reduce(into: [Job]()) { if let job = $1 { $0.append(job) } }
            }
            try expect(created.count, equals: 1, "callers given the tick")
            try await expect(tasks("tick", in: handles[0]), equals: created, "stored running for the caller that got it")
            try await expect(handles[0].crons().first?.scheduledFor, equals: Fixture.at(300))
        },
        Check("aTickTakenAgainByItsWorkerStoresOneTaskAndGivesThatWorkerItsRunningTaskBack") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("tick", due: 0)], at: Fixture.now)
            let worker = ObjectId()
            let first = try await require(store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 0, runningOn: worker)), "the tick's task")
            // Its caller did not learn that it went through (a lost reply) and tries again, as
            // a retry does: with a task made anew.
            let again = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 1, runningOn: worker))
            try expect(again, equals: first, "the worker the task runs for gets it back: no one else may run it")
            try expect(first.id, equals: ObjectId(cronTick: "tick", due: Fixture.at(0)))
            let late = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 2, runningOn: ObjectId()))
            try expect(late, equals: nil, "another worker late for the tick gets nothing")
            let pending = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 3, runningOn: nil))
            try expect(pending, equals: nil)
            try await expect(tasks("tick", in: store), equals: [first])
            try await expect(store.crons().first?.scheduledFor, equals: Fixture.at(300))
        },
        Check("aTickTakesTheTaskAnEarlierAttemptStoredBeforeItCouldMoveTheCron") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("tick", due: 0)], at: Fixture.now)
            // What an attempt that failed between storing the task and moving the cron leaves.
            var earlier = Fixture.cronTask("tick", due: 0, createdAt: 0, runningOn: nil)
            earlier.id = ObjectId(cronTick: "tick", due: Fixture.at(0))
            let stored = try await store.insert(earlier)
            let taken = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 1, runningOn: nil))
            try expect(taken, equals: stored)
            try await expect(store.crons().first?.scheduledFor, equals: Fixture.at(300))
            let again = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 2, runningOn: nil))
            try expect(again, equals: nil)
            try await expect(tasks("tick", in: store), equals: [stored])
        },
        Check("aTickOfACronThatIsNoLongerAtItsDueTimeStoresNothing") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("tick", due: 60)], at: Fixture.now)
            let taken = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Fixture.cronTask("tick", due: 0, createdAt: 1, runningOn: ObjectId()))
            try expect(taken, equals: nil)
            try await expect(tasks("tick", in: store), equals: [])
            try await expect(store.crons().first?.scheduledFor, equals: Fixture.at(60))
        },
        Check("aTickWhosePreviousTaskIsActiveStoresItsExclusiveTaskSkippedAndEnded") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("export", due: 0)], at: Fixture.now)
            let active = try await store.insert(Fixture.job("export", concurrency: .exclusive, type: .cronTask))
            let task = Fixture.job("export", concurrency: .exclusive, type: .cronTask, createdAt: 1)
            let created = try await require(
                store.advanceCron("export", from: Fixture.at(0), to: Fixture.at(300), creating: task), "the tick's task")
            try expect(created.status, equals: .skipped)
            try expect(created.output?.skipMetadata?.conflictingJobId, equals: active.id)
            try expect(created.endedAt, equals: Fixture.at(1))
            try await expect(store.deleteEnded(before: Fixture.at(2)), equals: 1)
            try await expect(store.job(id: created.id), equals: nil)
        },
        Check("cronDocumentsAreNeverClaimedAsJobs") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.syncCrons([Fixture.cron("nightly", due: -60)], at: Fixture.now)
            let scope = Fixture.scope("nightly")
            try await expect(store.claim(scope, now: Fixture.now), equals: nil)
            try await expect(store.nextDue(scope), equals: nil)
            let task = try await store.insert(Fixture.cronTask("nightly", due: -60))
            try await expect(store.claim(scope, now: Fixture.now)?.id, equals: task.id)
        },
    ]

    /// The cron tasks of `name`, as stored.
    private static func tasks(_ name: String, in store: any JobStore) async throws -> [Job] {
        try await store.jobs(matching: JobQuery(names: [name], types: [.cronTask]))
    }
}
