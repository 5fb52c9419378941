import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// Real worker processes sharing one MongoDB database.
@Suite("Several worker processes")
struct MultiProcessTests {
    @Test func threeWorkersRunEveryJobExactlyOnceHonouringTagsExclusivityAndResumption() async throws {
        let database = try TestMongo.database(ioThreads: 4)
        defer { database.close() }
        let store = MongoJobStore(database: database, logger: Logger(label: "test"))
        try await store.prepare()
        // The test process schedules through a processor that it never runs.
        let noop: JobDefinition.Handler = { _, _ in nil }
        let client = try JobProcessor(QueueConfiguration(store: store, logger: Logger(label: "test"), jobs: [
            "work": JobDefinition(handler: noop), "tagged": JobDefinition(tag: "x", handler: noop),
            "exclusive": JobDefinition(concurrency: .exclusive, handler: noop),
            "resumable": JobDefinition(resumable: true, handler: noop),
        ]))
        let record = RecordLines.temporary()
        defer { try? FileManager.default.removeItem(atPath: record.path) }
        let workers = try [
            WorkerProcess(label: "w1", database: database.name, record: record.path, tags: ["x"]),
            WorkerProcess(label: "w2", database: database.name, record: record.path, tags: ["y"]),
            WorkerProcess(label: "w3", database: database.name, record: record.path, tags: ["y"]),
        ]

        // 600 jobs, a third of them tagged x.
        var expected: [String: String] = [:]
        for index in 0..<600 {
            let name = index % 3 == 0 ? "tagged" : "work"
            expected["\(try await client.schedule(name).id)"] = name
        }
        // An exclusive job, and its twin created while it runs.
        let exclusive = try await client.schedule("exclusive", payload: ["ms": 3_000])
        _ = try await store.waitFor(exclusive.id, [.running], timeout: .seconds(60))
        let twin = try await client.schedule("exclusive", payload: ["ms": 0])
        #expect(twin.status == .skipped)
        #expect(twin.output?.skipMetadata?.conflictingJobId == exclusive.id)

        // A resumable job interrupted by SIGTERM to its worker, then finished by another.
        let resumable = try await client.schedule("resumable")
        let running = try await store.waitFor(resumable.id, [.running], timeout: .seconds(60))
        let ownerId = try #require(running.workerId)
        let owner = try #require(record.workers.first { $0.value == "\(ownerId)" }?.key)
        let ownerProcess = try #require(workers.first { $0.label == owner })
        ownerProcess.send(SIGTERM)
        #expect(try await ownerProcess.waitForExit() == 0)
        let resumed = try await store.waitFor(resumable.id, [.finished, .errored], timeout: .seconds(60))
        #expect(resumed.status == .finished)
        #expect(resumed.output?.result == "resumed")
        let resumableRuns = record.runs.filter { $0.jobId == "\(resumable.id)" }
        #expect(resumableRuns.count == 2)
        #expect(Set(resumableRuns.map(\.label)).count == 2, "resumed by another worker")

        // Every one of the 600 jobs ends finished, having run exactly once, tagged ones on w1.
        _ = try await eventually("600 jobs to finish", timeout: .seconds(120)) {
            let done = try await store.jobs(matching: JobQuery(names: ["work", "tagged"], statuses: [.finished], limit: 1_000))
            return done.count == 600 ? true : nil
        }
        let runs = record.runs.filter { $0.name == "work" || $0.name == "tagged" }
        let runsByJob = Dictionary(grouping: runs, by: \.jobId)
        #expect(runs.count == 600)
        #expect(Set(runsByJob.keys) == Set(expected.keys))
        #expect(runsByJob.values.allSatisfy { $0.count == 1 })
        #expect(runs.filter { $0.name == "tagged" }.allSatisfy { $0.label == "w1" })
        #expect(Set(runs.filter { $0.name == "work" }.map(\.label)).count >= 2, "the work is shared")

        for worker in workers where worker.label != owner { worker.send(SIGTERM) }
        for worker in workers where worker.label != owner { #expect(try await worker.waitForExit() == 0) }
        #expect(try await store.workers().isEmpty)
    }
}
