import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// SPEC §7 "Outages", for real: the MongoDB test server SIGKILLed under busy worker processes and
/// started again on its data. These tests run their own server (the emulator, whatever
/// `MONGODB_URI` names), since they kill it.
@Suite("MongoDB outages")
struct MongoOutageTests {
    @Test func aServerKilledAndRestartedUnderBusyWorkersLosesNoEndingAndRunsNothingTwice() async throws {
        let server = try await MongoTestServerProcess()
        let database = try MongoDatabase.connect(MongoConnectionString(server.uri), database: "outage")
        defer { database.close() }
        let store = MongoJobStore(database: database, logger: Logger.silent)
        try await store.prepare()
        let client = try JobProcessor(QueueConfiguration(
            store: store, logger: Logger.silent, jobs: ["chaos-plain": JobDefinition { _, _ in nil }]))
        let record = RecordLines.temporary()
        defer { try? FileManager.default.removeItem(atPath: record.path) }
        var ids: Set<String> = []
        for _ in 0..<120 { ids.insert("\(try await client.schedule("chaos-plain", payload: ["ms": 60]).id)") }
        let workers = try ["w1", "w2"].map { label in
            try WorkerProcess(label: label, database: "outage", record: record.path, concurrency: 4,
                              environment: ["MONGODB_URI": server.uri])
        }

        // Kill the server while both workers run jobs, keep it down longer than the workers'
        // dead-worker timeout (3 s), then bring it back on the same data.
        _ = try await eventually("20 runs before the outage") { record.runs.count >= 20 ? () : nil }
        try await server.kill()
        let runsBeforeOutage = record.runs.count
        try await Task.sleep(for: .seconds(4))  // the outage's length, not a wait for an event
        try await server.start()

        let ended = try await eventually("every job to end", timeout: .seconds(120)) { () -> [Job]? in
            let jobs = try? await store.jobs(matching: JobQuery(names: ["chaos-plain"], limit: 1_000))
            guard let jobs, jobs.count == 120, jobs.allSatisfy({ $0.status.isTerminal }) else { return nil }
            return jobs
        }
        _ = try await eventually("every onJobExited") { record.exits.count >= 120 ? () : nil }
        for worker in workers { worker.send(SIGTERM) }
        for worker in workers { #expect(try await worker.waitForExit() == 0, "both workers lived through it") }

        #expect(runsBeforeOutage < 120, "the outage came while jobs were left")
        #expect(ended.allSatisfy { $0.status == .finished }, "\(ended.filter { $0.status != .finished }.map(\.output))")
        let runs = Dictionary(grouping: record.runs, by: \.jobId)
        #expect(Set(runs.keys) == ids)
        #expect(runs.values.allSatisfy { $0.count == 1 }, "no job ran twice")
        let exits = Dictionary(grouping: record.exits, by: \.jobId)
        #expect(exits.count == 120 && exits.values.allSatisfy { $0.count == 1 }, "onJobExited once per job")
        #expect(try await store.jobs(matching: JobQuery(statuses: [.running])).isEmpty)
    }
}
