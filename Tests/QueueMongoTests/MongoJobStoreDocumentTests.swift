import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// Documents the store did not write: the Node version's (null or absent fields) and broken ones.
@Suite("MongoJobStore: documents written by others")
struct MongoJobStoreDocumentTests {
    @Test func jobsWithAbsentOrNullOptionalFieldsAreReadAndClaimed() async throws {
        try await withMongoStore { store, database in
            let absent = ObjectId()
            let nulls = ObjectId()
            try await insertRaw(Fixture.minimalJobDocument.merging(["_id": .objectId(absent)]), database)
            try await insertRaw(Fixture.minimalJobDocument.merging([
                "_id": .objectId(nulls), "scheduled_for": .date(Fixture.at(1)), "payload": nil, "output": nil,
                "started_at": nil, "ended_at": nil, "worker_id": nil, "cron_string": nil,
            ]), database)
            let read = try #require(try await store.job(id: absent))
            #expect(read.workerId == nil && read.startedAt == nil && read.sync == false && read.concurrency == .concurrent)
            #expect(try await store.job(id: nulls)?.payload == nil)

            let scope = Fixture.scope("mail")
            let first = try #require(try await store.claim(scope, now: Fixture.at(5)))
            let second = try #require(try await store.claim(scope, now: Fixture.at(6)))
            #expect(first.id == absent && first.startedAt == Fixture.at(5), "started_at set when absent")
            #expect(second.id == nulls && second.startedAt == Fixture.at(6), "started_at set when null")
        }
    }

    @Test func aMalformedStoredJobFailsReadsWithAnErrorNamingItsIdAndField() async throws {
        try await withMongoStore { store, database in
            let id = ObjectId()
            try await insertRaw(Fixture.minimalJobDocument.merging(["_id": .objectId(id), "status": 42]), database)
            let error = await #expect(throws: JobStoreError.self) { try await store.job(id: id) }
            #expect(error?.code == .invalidDocument)
            #expect(error?.reason == "job \(id): field \"status\" should be a string, not int")
            let listError = await #expect(throws: JobStoreError.self) { try await store.jobs(matching: JobQuery()) }
            #expect(listError?.reason.contains("job \(id)") == true)
        }
    }

    @Test func aClaimedJobThatCannotBeReadIsRecordedErroredAndTheNextIsClaimed() async throws {
        try await withMongoStore { store, database in
            let broken = ObjectId()
            try await insertRaw(Fixture.minimalJobDocument.merging([
                "_id": .objectId(broken), "scheduled_for": .date(Fixture.at(-10)), "payload": "not an object",
            ]), database)
            let good = try await store.insert(Fixture.job("mail"))
            let scope = Fixture.scope("mail")

            let error = await #expect(throws: JobStoreError.self) { try await store.claim(scope, now: Fixture.now) }
            #expect(error?.code == .invalidDocument)
            #expect(error?.reason.contains("job \(broken): field \"payload\"") == true)
            let raw = try #require(try await rawJob(broken, database))
            #expect(raw["status"] == "errored" && raw["worker_id"] == .null && raw["ended_at"] == .date(Fixture.now))
            #expect(raw[path: "output.error"]?.stringValue?.contains("payload") == true)

            #expect(try await store.claim(scope, now: Fixture.now)?.id == good.id)
        }
    }

    @Test func aBatchClaimRecordsItsUnreadableJobsErroredAndReturnsTheOthers() async throws {
        try await withMongoStore { store, database in
            func broken(due: Double) async throws -> ObjectId {
                let id = ObjectId()
                try await insertRaw(Fixture.minimalJobDocument.merging([
                    "_id": .objectId(id), "scheduled_for": .date(Fixture.at(due)), "payload": "not an object",
                ]), database)
                return id
            }
            let scope = Fixture.scope("mail")
            _ = try await store.insert(Fixture.job("mail", due: -20))
            _ = try #require(try await store.claim(scope, now: Fixture.now), "a claim that found a job: the next ones batch")
            let first = try await broken(due: -10)
            let good = try await store.insert(Fixture.job("mail"))
            #expect(try await store.claim(scope, now: Fixture.now, limit: 4).map(\.id) == [good.id])

            let (second, third) = (try await broken(due: -10), try await broken(due: -5))
            let error = await #expect(throws: JobStoreError.self, "nothing else claimed") {
                try await store.claim(scope, now: Fixture.now, limit: 4)
            }
            #expect(error?.code == .invalidDocument)
            #expect(error?.reason.contains("job \(second): field \"payload\"") == true, "the earliest one's")
            for id in [first, second, third] {
                let raw = try #require(try await rawJob(id, database))
                #expect(raw["status"] == "errored" && raw["worker_id"] == .null && raw["ended_at"] == .date(Fixture.now))
                #expect(raw[path: "output.error"]?.stringValue?.contains("payload") == true)
            }
        }
    }

    @Test func aMalformedWorkerIsListedAsNeverSeenSoThatRecoveryCanTakeItOver() async throws {
        try await withMongoStore { store, database in
            let (unreadableTime, numericHost) = (ObjectId(), ObjectId())
            try await insertRaw(["_id": .objectId(unreadableTime), "hostname": "h", "lastSeen": "today"],
                                into: MongoJobStore.workersCollection, database)
            try await insertRaw(["_id": .objectId(numericHost), "hostname": 42, "lastSeen": .date(Fixture.now), "tags": nil],
                                into: MongoJobStore.workersCollection, database)
            let workers = try await store.workers()
            #expect(workers.map(\.id) == [unreadableTime, numericHost].sorted())
            #expect(workers.first { $0.id == unreadableTime }?.lastSeen == .distantPast, "never seen: dead")
            #expect(workers.first { $0.id == numericHost }?.hostname == "?")
            #expect(workers.first { $0.id == numericHost }?.lastSeen == Fixture.now, "its heartbeat still counts")
            #expect(try await store.declareDead(unreadableTime, seenBefore: Fixture.now), "an unreadable lastSeen is old")
            #expect(try await store.declareDead(numericHost, seenBefore: Fixture.now) == false)
            #expect(try await store.heartbeat(numericHost, at: Fixture.now), "the heartbeat does not read the document")
        }
    }
}
