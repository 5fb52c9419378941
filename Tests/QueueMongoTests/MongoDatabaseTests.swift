import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

@Suite("MongoDatabase over libmongoc")
struct MongoDatabaseTests {
    @Test func insertFindAndModifyAndCreateIndexesRoundTripThroughTheServer() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        try await database.ping()
        let id = ObjectId()
        let due = Date(timeIntervalSince1970: 1_800_000_000.123)
        let inserted: BSONDocument = [
            "_id": .objectId(id), "name": "send-mail", "status": "pending", "scheduled_for": .date(due),
            "payload": ["to": "a@example.com", "tries": 3, "tags": ["x", 1.5, nil]],
        ]
        let name = database.name
        let claimed = try await database.run("claim") { client throws(MongoError) in
            let jobs = client.collection("job_processor.jobs", in: name)
            _ = try client.runCommand(
                ["createIndexes": "job_processor.jobs",
                 "indexes": [["key": ["status": 1, "scheduled_for": 1], "name": "status_scheduled_for"]]],
                in: name)
            try jobs.insertOne(inserted)
            return try jobs.findAndModify(
                ["status": "pending"], update: ["$set": ["status": "running"]], sort: ["scheduled_for": 1])
        }
        #expect(claimed?["_id"] == .objectId(id))
        #expect(claimed?["status"] == "running")
        #expect(claimed?["scheduled_for"] == .date(due.truncatedToMilliseconds))
        #expect(claimed?["payload"] == inserted["payload"])

        let (again, indexNames) = try await database.run("verify") { client throws(MongoError) in
            let jobs = client.collection("job_processor.jobs", in: name)
            let again = try jobs.findAndModify(["status": "pending"], update: ["$set": ["status": "running"]])
            let indexes = try client.runCommand(["listIndexes": "job_processor.jobs"], in: name)
            let names = indexes[path: "cursor.firstBatch"]?.arrayValue?.compactMap { $0.documentValue?["name"]?.stringValue }
            return (again, names ?? [])
        }
        #expect(again == nil, "a claimed job must not be claimed twice")
        #expect(indexNames.contains("status_scheduled_for"))
        #expect(database.commandsSent >= 5)
    }

    @Test func duplicateKeyIsReportedAsATypedError() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        let name = database.name
        let error = await #expect(throws: MongoError.self) {
            try await database.run("insert twice") { client throws(MongoError) in
                let collection = client.collection("things", in: name)
                let id = ObjectId()
                try collection.insertOne(["_id": .objectId(id)])
                try collection.insertOne(["_id": .objectId(id)])
            }
        }
        #expect(error?.code == .duplicateKey)
        #expect(error?.description.contains("things") == true)
    }

    @Test func unreachableServerFailsWithANetworkErrorAndNoPassword() async throws {
        let uri = try MongoConnectionString("mongodb://user:s3cret@127.0.0.1:9/?serverSelectionTimeoutMS=300")
        let database = try MongoDatabase.connect(uri, database: "nowhere", ioThreads: 1)
        defer { database.close() }
        let error = await #expect(throws: MongoError.self) { try await database.ping() }
        #expect(error?.code == .network)
        #expect(database.redactedURI == "mongodb://user:***@127.0.0.1:9/?serverSelectionTimeoutMS=300")
        #expect(error?.description.contains("s3cret") == false)
    }
}

extension Date {
    /// BSON keeps milliseconds.
    var truncatedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}
