import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// How a batch of claims made by one `update` command becomes the claimed jobs, without a
/// server: which finds make a batch, what the command's count tells, and the jobs returned.
@Suite("MongoClaimBatch")
struct MongoClaimBatchTests {
    private let scope = Fixture.scope("mail")

    /// `job`'s document as the server would send it back: through the BSON encoding.
    private func stored(_ job: Job) throws -> BSONDocument {
        try BSONReader.decode(BSONWriter.encode(JobDocument.encode(job, exclusiveKeyField: false)))
    }

    private func found(_ count: Int) throws -> [BSONDocument] {
        try (0..<count).map { index in try stored(Fixture.job("mail", due: Double(-index))) }
    }

    @Test func onlyTwoOrMoreFoundJobsMakeABatch() throws {
        #expect(MongoClaimBatch(try found(2), scope: scope, now: Fixture.now) != nil)
        #expect(MongoClaimBatch(try found(1), scope: scope, now: Fixture.now) == nil, "one job: findAndModify")
        #expect(MongoClaimBatch([], scope: scope, now: Fixture.now) == nil)
    }

    @Test func theUpdatesCountTellsWhichJobsItClaimedOnlyWhenItMatchedAllOrNone() throws {
        let candidates = try found(3)
        let batch = try #require(MongoClaimBatch(candidates, scope: scope, now: Fixture.now))
        #expect(batch.claimed(matched: 3) == candidates)
        #expect(batch.claimed(matched: 0) == [])
        #expect(batch.claimed(matched: 2) == nil, "a find must tell")
        let read: [BSONDocument] = [candidates[2], candidates[0]].map { ["_id": $0["_id"]!] }
        #expect(batch.claimed(among: read) == [candidates[0], candidates[2]], "in claim order")
    }

    @Test func theUpdateTakesOnlyJobsStillAsFound() throws {
        let candidates = try found(2)
        let batch = try #require(MongoClaimBatch(candidates, scope: scope, now: Fixture.now))
        #expect(batch.filter["$or"] == .array(candidates.map { ["_id": $0["_id"]!, "updated_at": $0["updated_at"]!] }))
        #expect(batch.filter["status"] == ["$in": JobDocument.claimable])
        #expect(batch.filter["scheduled_for"] == ["$lte": .date(Fixture.now)])
    }

    @Test func aClaimedJobIsTheFoundOneRunningOnTheWorkerWithItsFirstStartKeptAndDatesInMilliseconds() throws {
        var paused = Fixture.job("mail", due: -5, status: .paused)
        paused.startedAt = Fixture.at(-4)
        let fresh = Fixture.job("mail")
        let now = Fixture.at(1.000_9)
        let batch = try #require(MongoClaimBatch([try stored(paused), try stored(fresh)], scope: scope, now: now))
        let resumed = try batch.job(batch.candidates[0])
        #expect(resumed.status == .running && resumed.workerId == scope.workerId)
        #expect(resumed.startedAt == Fixture.at(-4) && resumed.updatedAt == Fixture.at(1))
        #expect(resumed.scheduledFor == paused.scheduledFor && resumed.payload == paused.payload)
        #expect(try batch.job(batch.candidates[1]).startedAt == Fixture.at(1))
    }
}
