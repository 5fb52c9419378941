import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// A client needs a store and no handlers: it schedules, kills and reads jobs that workers
/// elsewhere run.
@Suite("JobClient")
struct JobClientTests {
    @Test(arguments: StoreKind.processorKinds)
    func aClientSchedulesJobsThatAWorkerElsewhereRuns(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let client = JobClient(store: store, logger: .silent)
        let first = try await client.schedule("report", payload: ["n": 1], concurrency: .exclusive)
        let twin = try await client.schedule("report", concurrency: .exclusive)
        #expect(first.status == .pending && first.concurrency == .exclusive)
        #expect(twin.status == .skipped && twin.output?.skipMetadata?.conflictingJobId == first.id)
        let later = try await client.schedule("report", at: Date().addingTimeInterval(3600))
        #expect(try await client.kill(later.id) == .killed(try #require(try await client.job(id: later.id))))

        let runs = Recorder<ObjectId>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "report": JobDefinition(concurrency: .exclusive) { job, _ in
                runs.append(job.id)
                return nil
            },
        ]))
        #expect(try await store.waitFor(first.id, [.finished, .errored]).status == .finished)
        let status = try await client.status(jobNames: ["report"])
        #expect(status.workers.count == 1)
        #expect(status.recentJobsByName["report"]?.count == 3)
        #expect(await client.health())
        try await worker.stop()
        #expect(runs.all == [first.id])
        #expect(try await client.jobs(matching: JobQuery(names: ["report"])).count == 3)
    }

    @Test func aClientRefusesWhatNoStoreCanHoldBeforeTouchingTheStore() async throws {
        let store = MemoryJobStore()
        let client = JobClient(store: store, logger: .silent)
        await #expect(throws: QueueError.self) { try await client.schedule("x", at: Date(timeIntervalSince1970: 1e12)) }
        var deep: BSONDocument = ["leaf": 1]
        for _ in 0..<120 { deep = ["a": .document(deep)] }
        await #expect(throws: QueueError.self) { try await client.schedule("x", payload: deep) }
        #expect(try await store.jobs(matching: JobQuery()).isEmpty)
    }
}
