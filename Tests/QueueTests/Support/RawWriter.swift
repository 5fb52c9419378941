import Foundation
import GRDB
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

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
