import Foundation
import GRDB
import Testing
@testable import Queue

/// SPEC §7 "No poison": nothing a store holds can crash a worker, stall a claim or stop crash
/// recovery. Documents are written past the store, as another program or a damaged file would.
@Suite("No poison")
struct PoisonTests {
    /// Writes documents into a store as they are, bypassing its checks.
    struct RawWriter {
        let store: any JobStore
        let mongo: MongoDatabase?

        /// A job document with `fields` over a minimal pending job of `name`.
        func insertJob(_ id: ObjectId, name: String, _ fields: BSONDocument) async throws {
            if let mongo {
                var document: BSONDocument = [
                    "_id": .objectId(id), "name": .string(name), "type": "simple", "status": "pending",
                    "scheduled_for": .date(Date()), "updated_at": .date(Date()), "created_at": .date(Date()),
                ]
                for (key, value) in fields { document[key] = value }
                return try await insertRaw(document, mongo)
            }
            let sqlite = try #require(store as? SQLiteJobStore)
            var columns: [String: (any DatabaseValueConvertible)?] = [
                "id": id.description, "name": name, "type": "simple", "status": "pending",
                "scheduled_for": SQLiteValues.milliseconds(Date()), "updated_at": SQLiteValues.milliseconds(Date()),
                "created_at": SQLiteValues.milliseconds(Date()),
            ]
            for (key, value) in fields {
                let column = key == "_id" ? "id" : key
                columns[column] = switch value {
                case .string(let text): text
                case .objectId(let id): id.description
                case .date(let date): SQLiteValues.milliseconds(date)
                case .binary(_, let bytes): Data(bytes)
                case .document(let document): SQLiteValues.blob(document)
                case .int32(let number): Int64(number)
                case .int64(let number): number
                default: nil
                }
            }
            let names = columns.keys.sorted()
            let sql = "INSERT INTO jobs (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", ")))"
            let arguments = StatementArguments(names.map { columns[$0]! })
            try await sqlite.pool.write { db in try db.execute(sql: sql, arguments: arguments) }
        }

        /// A worker document whose `hostname` is a number.
        func insertWorkerWithNumericHostname(_ id: ObjectId, lastSeen: Date) async throws {
            if let mongo {
                return try await insertRaw(
                    ["_id": .objectId(id), "hostname": 42, "lastSeen": .date(lastSeen), "tags": nil],
                    into: MongoJobStore.workersCollection, mongo)
            }
            let sqlite = try #require(store as? SQLiteJobStore)
            try await sqlite.pool.write { db in
                try db.execute(sql: "INSERT INTO workers (id, hostname, tags, last_seen) VALUES (?, 42, NULL, ?)",
                               arguments: [id.description, SQLiteValues.milliseconds(lastSeen)])
            }
        }

        /// A signal document of `type` for `worker`, created a second ago.
        func insertSignal(_ id: ObjectId, worker: ObjectId, type: String, job: ObjectId = ObjectId()) async throws {
            let created = Date().addingTimeInterval(type == "kill" ? 0 : -1)
            if let mongo {
                return try await insertRaw([
                    "_id": .objectId(id), "type": .string(type), "job_id": .objectId(job), "worker_id": .objectId(worker),
                    "created_at": .date(created), "ack": false,
                ], into: MongoJobStore.signalsCollection, mongo)
            }
            let sqlite = try #require(store as? SQLiteJobStore)
            try await sqlite.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO signals (id, type, job_id, worker_id, created_at, ack) VALUES (?, ?, ?, ?, ?, 0)",
                    arguments: [id.description, type, job.description, worker.description, SQLiteValues.milliseconds(created)])
            }
        }

        /// Whether signal `id` is acknowledged, read past the store's decoding.
        func signalAcknowledged(_ id: ObjectId) async throws -> Bool? {
            if let mongo {
                let name = mongo.name
                let document = try await mongo.run("raw signal") { client throws(MongoError) in
                    try client.collection(MongoJobStore.signalsCollection, in: name).find(["_id": .objectId(id)]).first
                }
                return document?["ack"]?.boolValue
            }
            let sqlite = try #require(store as? SQLiteJobStore)
            return try await sqlite.pool.read { db in
                try Bool.fetchOne(db, sql: "SELECT ack FROM signals WHERE id = ?", arguments: [id.description])
            }
        }

        /// The stored status of job `id`, read past the store's decoding.
        func status(_ id: ObjectId) async throws -> String? {
            if let mongo { return try await rawJob(id, mongo)?["status"]?.stringValue }
            let sqlite = try #require(store as? SQLiteJobStore)
            return try await sqlite.pool.read { db in
                try String.fetchOne(db, sql: "SELECT status FROM jobs WHERE id = ?", arguments: [id.description])
            }
        }
    }

    /// Runs `body` with a fresh store of `kind` (MongoDB or SQLite) and its raw writer.
    private func withHostileStore(_ kind: StoreKind, _ body: (any JobStore, RawWriter) async throws -> Void) async throws {
        if kind == .mongo {
            return try await withMongoStore { store, database in try await body(store, RawWriter(store: store, mongo: database)) }
        }
        let (store, close) = try await kind.make()
        defer { close() }
        try await body(store, RawWriter(store: store, mongo: nil))
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func recoveryTakesOverADeadWorkerDespiteUnreadableJobsAndWorkerDocuments(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let dead = ObjectId()
            let longAgo = Date().addingTimeInterval(-3600)
            try await store.registerWorker(WorkerRecord(id: dead, hostname: "gone", tags: nil, lastSeen: longAgo))
            try await raw.insertWorkerWithNumericHostname(ObjectId(), lastSeen: Date())
            let unreadable = ObjectId()
            let payload: BSON = kind == .mongo ? "not an object" : .binary(subtype: 0, bytes: [0xDE, 0xAD, 0xBE, 0xEF])
            try await raw.insertJob(unreadable, name: "work", [
                "status": "running", "worker_id": .objectId(dead), "payload": payload, "updated_at": .date(longAgo),
            ])
            var readable = Fixture.job("work", status: .running, workerId: dead)
            readable.updatedAt = longAgo
            readable = try await store.insert(readable)

            let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
            let recovered = try await store.waitFor(readable.id, [.errored])
            try await eventually("the unreadable job recovered too") {
                try await raw.status(unreadable) == "errored" ? () : nil
            }
            try await worker.stop()
            #expect(recovered.output?.error == "Worker crashed unexpectedly")
        }
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func anUnreadableSignalIsAcknowledgedOnceAndTheOthersStillArrive(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let (worker, job, unreadable) = (ObjectId(), ObjectId(), ObjectId())
            try await raw.insertSignal(unreadable, worker: worker, type: "explode")
            try await raw.insertSignal(ObjectId(), worker: worker, type: "kill", job: job)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job])
            #expect(try await raw.signalAcknowledged(unreadable) == true)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job], "reported once")
        }
    }

    @Test(arguments: StoreKind.processorKinds)
    func jobsDueCenturiesAheadNeitherStopAWorkerNorDelayTheOthers(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
        let year2400 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 13_569_465_600))
        let year9999 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 253_402_300_799))
        let now = try await worker.processor.schedule("work")
        #expect(try await store.waitFor(now.id, [.finished]).status == .finished)
        try await worker.stop()
        #expect(try await store.job(id: year2400.id)?.status == .pending)
        #expect(try await store.job(id: year9999.id)?.status == .pending)
    }

    @Test func datesOutsideYears1To9999AreRefusedWhenScheduling() async throws {
        let processor = try JobProcessor(.testing(store: MemoryJobStore(), jobs: ["work": JobDefinition { _, _ in nil }]))
        for date in [Date(timeIntervalSince1970: 253_402_300_800), Date(timeIntervalSince1970: -62_135_596_801)] {
            let error = await #expect(throws: QueueError.self) { try await processor.schedule("work", at: date) }
            #expect(error?.code == .invalidDate)
            #expect(error?.message.contains("work") == true)
        }
        #expect(try await processor.schedule("work", at: Date(timeIntervalSince1970: -62_135_596_800)).status == .pending)
    }
}
