import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

@Suite("MongoDB retention")
struct MongoRetentionTests {
    @Test func endedJobsExpireThroughATTLIndexOnEndedAt() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        let store = MongoJobStore(database: database, logger: Logger.silent, retention: .seconds(7 * 24 * 3600))
        try await store.prepare()
        let ttl = try #require(try await indexes(MongoJobStore.jobsCollection, database)["ended_at_1"])
        #expect(ttl["key"] == .document(["ended_at": 1]))
        #expect(ttl["expireAfterSeconds"]?.intValue == 7 * 24 * 3600)
    }
}
