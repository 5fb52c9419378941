import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: crons and dead workers")
struct CronConformanceTests {
    static func cron(_ name: String, _ expression: String = "*/5 * * * *", due: Double = 60) -> CronRecord {
        CronRecord(name: name, cronString: expression, scheduledFor: Fixture.at(due))
    }

    static func task(_ name: String, due: Double) -> Job {
        Fixture.job(name, due: due, type: .cronTask)
    }

    /// The task of cron `name`'s tick at `due` as a worker makes it at `createdAt`: stored
    /// `running` for `worker` when that worker will run it itself, `pending` without one.
    static func task(_ name: String, due: Double, createdAt: Double, runningOn worker: ObjectId?) -> Job {
        Fixture.job(name, due: due, status: worker == nil ? .pending : .running, type: .cronTask, createdAt: createdAt,
                    workerId: worker)
    }

    /// The cron tasks of `name`, as stored.
    static func tasks(_ name: String, in store: any JobStore) async throws -> [Job] {
        try await store.jobs(matching: JobQuery(names: [name], types: [.cronTask]))
    }

    @Test(arguments: StoreKind.allCases)
    func declaringCronsCreatesOneDocumentEachAndKeepsTheirDueTimes(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            let declared = [Self.cron("a"), Self.cron("b", "0 * * * *", due: 120)]
            #expect(try await store.syncCrons(declared, at: Fixture.now) == declared)
            // Declared again (another replica, a restart) with later due times: nothing changes.
            let again = declared.map { CronRecord(name: $0.name, cronString: $0.cronString, scheduledFor: Fixture.at(999)) }
            #expect(try await store.syncCrons(again, at: Fixture.at(1)) == declared)
            #expect(try await store.crons() == declared)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func replicasDeclaringAtOnceLeaveOneDocumentPerCron(_ kind: StoreKind) async throws {
        try await kind.withStore(connections: 4) { store throws in
            let declared = [Self.cron("a"), Self.cron("b")]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await store.syncCrons(declared, at: Fixture.now) } }
                try await group.waitForAll()
            }
            #expect(try await store.crons() == declared)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aChangedExpressionReschedulesAndUndeclaredCronsGoWithTheirPendingTasks(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("kept"), Self.cron("changed"), Self.cron("gone")], at: Fixture.now)
            let pendingTask = try await store.insert(Self.task("gone", due: 0))
            let endedTask = try await store.insert(Fixture.job("gone", status: .finished, type: .cronTask))
            let changed = Self.cron("changed", "0 0 * * *", due: 3600)
            let stored = try await store.syncCrons([Self.cron("kept"), changed], at: Fixture.at(1))
            #expect(stored == [changed, Self.cron("kept")])
            #expect(try await store.job(id: pendingTask.id) == nil)
            #expect(try await store.job(id: endedTask.id) != nil, "history stays")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func exactlyOneCallerTakesACronTick(_ kind: StoreKind) async throws {
        try await kind.withStore(connections: 4) { store throws in
            _ = try await store.syncCrons([Self.cron("tick", due: 0)], at: Fixture.now)
            let created = try await withThrowingTaskGroup(of: Job?.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await store.advanceCron("tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0))
                    }
                }
                return try await group.reduce(into: [Job]()) { if let job = $1 { $0.append(job) } }
            }
            #expect(created.count == 1)
            #expect(try await store.crons().first?.scheduledFor == Fixture.at(300))
            #expect(try await store.jobs(matching: JobQuery(names: ["tick"], types: [.cronTask])).count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func exactlyOneCallerTakesATickWhoseTaskEachWouldRunItself(_ kind: StoreKind) async throws {
        try await kind.withStore(connections: 4) { store throws in
            _ = try await store.syncCrons([Self.cron("tick", due: 0)], at: Fixture.now)
            let created = try await withThrowingTaskGroup(of: Job?.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await store.advanceCron(
                            "tick", from: Fixture.at(0), to: Fixture.at(300),
                            creating: Self.task("tick", due: 0, createdAt: 0, runningOn: ObjectId()))
                    }
                }
                return try await group.reduce(into: [Job]()) { if let job = $1 { $0.append(job) } }
            }
            #expect(created.count == 1)
            #expect(try await Self.tasks("tick", in: store) == created, "stored running for the caller that got it")
            #expect(try await store.crons().first?.scheduledFor == Fixture.at(300))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTickTakenAgainByItsWorkerStoresOneTaskAndGivesThatWorkerItsRunningTaskBack(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("tick", due: 0)], at: Fixture.now)
            let worker = ObjectId()
            let first = try #require(try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 0, runningOn: worker)))
            // Its caller did not learn that it went through (a lost reply) and tries again, as
            // a retry does: with a task made anew.
            let again = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 1, runningOn: worker))
            #expect(again == first, "the worker the task runs for gets it back: no one else may run it")
            #expect(first.id == ObjectId(cronTick: "tick", due: Fixture.at(0)))
            let late = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300),
                creating: Self.task("tick", due: 0, createdAt: 2, runningOn: ObjectId()))
            #expect(late == nil, "another worker late for the tick gets nothing")
            let pending = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 3, runningOn: nil))
            #expect(pending == nil)
            #expect(try await Self.tasks("tick", in: store) == [first])
            #expect(try await store.crons().first?.scheduledFor == Fixture.at(300))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTickTakesTheTaskAnEarlierAttemptStoredBeforeItCouldMoveTheCron(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("tick", due: 0)], at: Fixture.now)
            // What an attempt that failed between storing the task and moving the cron leaves.
            var earlier = Self.task("tick", due: 0, createdAt: 0, runningOn: nil)
            earlier.id = ObjectId(cronTick: "tick", due: Fixture.at(0))
            let stored = try await store.insert(earlier)
            let taken = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 1, runningOn: nil))
            #expect(taken == stored)
            #expect(try await store.crons().first?.scheduledFor == Fixture.at(300))
            let again = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 2, runningOn: nil))
            #expect(again == nil)
            #expect(try await Self.tasks("tick", in: store) == [stored])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTickOfACronThatIsNoLongerAtItsDueTimeStoresNothing(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("tick", due: 60)], at: Fixture.now)
            let taken = try await store.advanceCron(
                "tick", from: Fixture.at(0), to: Fixture.at(300), creating: Self.task("tick", due: 0, createdAt: 1, runningOn: ObjectId()))
            #expect(taken == nil)
            #expect(try await Self.tasks("tick", in: store).isEmpty)
            #expect(try await store.crons().first?.scheduledFor == Fixture.at(60))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aTickWhosePreviousTaskIsActiveStoresItsExclusiveTaskSkippedAndEnded(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("export", due: 0)], at: Fixture.now)
            let active = try await store.insert(Fixture.job("export", concurrency: .exclusive, type: .cronTask))
            let task = Fixture.job("export", concurrency: .exclusive, type: .cronTask, createdAt: 1)
            let created = try #require(
                try await store.advanceCron("export", from: Fixture.at(0), to: Fixture.at(300), creating: task))
            #expect(created.status == .skipped)
            #expect(created.output?.skipMetadata?.conflictingJobId == active.id)
            #expect(created.endedAt == Fixture.at(1))
            #expect(try await store.deleteEnded(before: Fixture.at(2)) == 1)
            #expect(try await store.job(id: created.id) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func cronDocumentsAreNeverClaimedAsJobs(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            _ = try await store.syncCrons([Self.cron("nightly", due: -60)], at: Fixture.now)
            let scope = Fixture.scope("nightly")
            #expect(try await store.claim(scope, now: Fixture.now) == nil)
            #expect(try await store.nextDue(scope) == nil)
            let task = try await store.insert(Self.task("nightly", due: -60))
            #expect(try await store.claim(scope, now: Fixture.now)?.id == task.id)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aDeadWorkerIsDeclaredDeadOnceAndALiveOneNever(_ kind: StoreKind) async throws {
        try await kind.withStore(connections: 4) { store throws in
            let dead = Fixture.worker()
            var live = Fixture.worker()
            live.lastSeen = Fixture.at(100)
            try await store.registerWorker(dead)
            try await store.registerWorker(live)
            let cutoff = Fixture.at(50)
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<4 { group.addTask { try await store.declareDead(dead.id, seenBefore: cutoff) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1)
            #expect(try await store.declareDead(live.id, seenBefore: cutoff) == false)
            #expect(try await store.workers() == [live])
        }
    }
}

@Suite("JobStore conformance: retention")
struct RetentionConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func deletingEndedJobsKeepsRecentAndUnendedOnes(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            var old = Fixture.job("a", status: .finished)
            old.endedAt = Fixture.at(-100)
            var recent = Fixture.job("b", status: .errored)
            recent.endedAt = Fixture.at(-1)
            let pending = Fixture.job("c")
            for job in [old, recent, pending] { _ = try await store.insert(job) }
            #expect(try await store.deleteEnded(before: Fixture.at(-50)) == 1)
            #expect(try await store.job(id: old.id) == nil)
            #expect(try await store.job(id: recent.id) != nil)
            #expect(try await store.job(id: pending.id) != nil)
        }
    }
}
