import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// How a batch of endings sent as one `update` command becomes one result per request, without
/// a server: which batches qualify, and what the command's outcome and the stored documents say.
@Suite("MongoFinishBatch")
struct MongoFinishBatchTests {
    private let worker = ObjectId()

    /// A job running on ``worker`` since ``Fixture/now``.
    private func running(_ name: String) -> Job {
        var job = Fixture.job(name, status: .running, workerId: worker)
        job.startedAt = Fixture.now
        return job
    }

    private func ending(_ job: Job, claimed: Bool = true, result: BSON? = nil) -> FinishRequest {
        FinishRequest(job.id, by: worker, as: .finished, output: JobOutput(result: result), at: Fixture.at(2.000_4),
                      claimed: claimed ? job : nil)
    }

    /// `job`'s document as the server would send it back: through the BSON encoding.
    private func stored(_ job: Job) throws -> BSONDocument {
        try BSONReader.decode(BSONWriter.encode(JobDocument.encode(job, exclusiveKeyField: false)))
    }

    @Test func onlyTwoOrMoreEndingsOfDistinctJobsEachCarryingItsClaimedJobMakeABatch() {
        let (a, b) = (running("a"), running("b"))
        #expect(MongoFinishBatch([ending(a), ending(b)]) != nil)
        #expect(MongoFinishBatch([ending(a)]) == nil, "one ending: findAndModify returns the job itself")
        #expect(MongoFinishBatch([ending(a), ending(b, claimed: false)]) == nil, "its result would need a read")
        #expect(MongoFinishBatch([ending(a), ending(b), ending(a)]) == nil, "only the first ending of a job may count")
    }

    @Test func whenEveryStatementMatchedEachResultIsTheClaimedJobEndedAsStored() throws {
        let (a, b) = (running("a"), running("b"))
        let when = Date(timeIntervalSince1970: 1_750_000_000.123_456)
        let requests = [ending(a, result: ["at": .date(when)]), ending(b)]
        let batch = try #require(MongoFinishBatch(requests))
        let results = try #require(batch.results(after: .init(matched: 2, modified: 2, refused: [:])))
        let jobs = try results.map { try $0.get() }
        #expect(jobs[0] == (try JobDocument.decode(stored(requests[0].applied(to: a)), operation: "read")),
                "dates cut to milliseconds, in the output too")
        #expect(jobs[1]?.status == .finished && jobs[1]?.endedAt == Fixture.at(2) && jobs[1]?.workerId == nil)
        #expect(batch.results(after: .init(matched: 1, modified: 1, refused: [:])) == nil, "fewer matched: read back")
    }

    @Test func aStatementTheServerRefusedFailsItsOwnEndingOnly() throws {
        let (a, b, c) = (running("a"), running("b"), running("c"))
        let batch = try #require(MongoFinishBatch([ending(a), ending(b), ending(c)]))
        let refusal = MongoError(writeError: 17419, operation: "update", message: "document too large")
        let results = try #require(batch.results(after: .init(matched: 2, modified: 2, refused: [1: refusal])))
        #expect(try results[0].get()?.status == .finished)
        #expect(throws: JobStoreError.self) { try results[1].get() }
        if case .failure(let error) = results[1] {
            #expect(error.code == .database && error.operation == "finish job \(b.id)")
            #expect(error.reason.contains("document too large"))
        }
        #expect(try results[2].get()?.status == .finished)
    }

    @Test func afterFewerMatchesOnlyEndingsTheStoredDocumentsShowAreReturned() throws {
        let (a, b, c, d) = (running("a"), running("b"), running("c"), running("d"))
        let requests = [ending(a, result: ["ok": true]), ending(b), ending(c), ending(d)]
        let batch = try #require(MongoFinishBatch(requests))
        var takenOver = b  // recovered by another worker: errored with its own output and time
        takenOver.status = .errored
        takenOver.output = JobOutput(error: "Worker crashed unexpectedly")
        takenOver.updatedAt = Fixture.at(1)
        takenOver.workerId = nil
        var runningElsewhere = c
        runningElsewhere.workerId = ObjectId()
        let documents = try [stored(requests[0].applied(to: a)), stored(takenOver), stored(runningElsewhere)]
        let results = batch.results(after: .init(matched: 1, modified: 1, refused: [:]), stored: documents)
        let jobs = try results.map { try $0.get() }
        #expect(jobs[0] == (try JobDocument.decode(documents[0], operation: "read")))
        #expect(jobs[1] == nil, "ended by recovery, not by this ending")
        #expect(jobs[2] == nil, "running on another worker")
        #expect(jobs[3] == nil, "no such job")
    }

    @Test func aFailedCommandFailsEveryEndingNamingTheBatch() throws {
        let batch = try #require(MongoFinishBatch([ending(running("a")), ending(running("b"))]))
        let error = JobStoreError(MongoError(.network, operation: "update", message: "connection reset"), operation: batch.operation)
        let results = batch.failed(error)
        #expect(results.count == 2)
        #expect(batch.operation == "finish 2 jobs")
        for result in results {
            if case .failure(let failure) = result { #expect(failure.code == .unavailable) } else { Issue.record("not failed") }
        }
    }
}
