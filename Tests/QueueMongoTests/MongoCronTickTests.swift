import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// A cron tick on MongoDB is two commands (the task's insert, then the cron's compare-and-set):
/// a failure between them, or a reply lost after both, must neither lose the tick nor create
/// its task twice when the tick is taken again. The failure is made by hand: the first
/// attempt's commands are written directly, as far as the failure let them go.
@Suite("MongoDB cron ticks")
struct MongoCronTickTests {
    private static let due = Fixture.at(0)
    private static let next = Fixture.at(300)

    /// The cron `tick`, due at ``due``, and the task its tick's first attempt stored (running
    /// for `worker`), inserted as that attempt's first command did.
    private static func firstAttemptStoredItsTask(
        for worker: ObjectId, _ store: MongoJobStore, _ database: MongoDatabase
    ) async throws -> Job {
        _ = try await store.syncCrons([CronRecord(name: "tick", cronString: "*/5 * * * *", scheduledFor: due)], at: Fixture.now)
        var task = Fixture.cronTask("tick", due: 0, createdAt: 0, runningOn: worker)
        task.id = ObjectId(cronTick: "tick", due: due)
        try await insertRaw(JobDocument.encode(task, exclusiveKeyField: false), database)
        return task
    }

    /// The cron document, as the server holds it.
    private static func rawCron(_ database: MongoDatabase) async throws -> BSONDocument? {
        let name = database.name
        return try await database.run("raw cron") { client throws(MongoError) in
            try client.collection(MongoJobStore.jobsCollection, in: name).find(["type": "cron", "name": "tick"]).first
        }
    }

    /// Every document of a task of `tick`.
    private static func rawTasks(_ database: MongoDatabase) async throws -> [BSONDocument] {
        let name = database.name
        return try await database.run("raw tasks") { client throws(MongoError) in
            try client.collection(MongoJobStore.jobsCollection, in: name).find(["type": "cron_task", "name": "tick"])
        }
    }

    @Test func aTickWhoseAttemptFailedAfterStoringItsTaskStoresItOnceAndMovesTheCronOnceWhenTakenAgain() async throws {
        try await withMongoStore { store, database in
            let worker = ObjectId()
            let task = try await Self.firstAttemptStoredItsTask(for: worker, store, database)
            let retry = Fixture.cronTask("tick", due: 0, createdAt: 1, runningOn: worker)
            let taken = try await store.advanceCron("tick", from: Self.due, to: Self.next, creating: retry)
            #expect(taken == task, "the first attempt's task, for its worker to run")
            #expect(try await Self.rawTasks(database).count == 1)
            let cron = try #require(try await Self.rawCron(database))
            #expect(cron["scheduled_for"] == .date(Self.next))
            #expect(cron["updated_at"] == .date(Fixture.at(1)), "moved by the retry")
            // Taken once more (another worker, late): nothing moves, nothing is stored.
            let late = Fixture.cronTask("tick", due: 0, createdAt: 2, runningOn: ObjectId())
            #expect(try await store.advanceCron("tick", from: Self.due, to: Self.next, creating: late) == nil)
            #expect(try await Self.rawCron(database) == cron)
            #expect(try await Self.rawTasks(database).count == 1)
        }
    }

    @Test func aTickWhoseRepliesWereLostAfterBothCommandsGivesItsWorkerTheTaskWithoutMovingTheCronAgain() async throws {
        try await withMongoStore { store, database in
            let worker = ObjectId()
            let task = try await Self.firstAttemptStoredItsTask(for: worker, store, database)
            let name = database.name
            let moved = try await database.run("move the cron as the first attempt did") { client throws(MongoError) in
                try client.collection(MongoJobStore.jobsCollection, in: name).updateOne(
                    ["type": "cron", "name": "tick", "scheduled_for": .date(Self.due)],
                    ["$set": ["scheduled_for": .date(Self.next), "updated_at": .date(Fixture.at(0))]])
            }
            #expect(moved.modified == 1)
            let cron = try await Self.rawCron(database)
            let retry = Fixture.cronTask("tick", due: 0, createdAt: 1, runningOn: worker)
            #expect(try await store.advanceCron("tick", from: Self.due, to: Self.next, creating: retry) == task)
            #expect(try await Self.rawCron(database) == cron, "the cron moved once")
            #expect(try await Self.rawTasks(database).count == 1)
        }
    }
}
