import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite
import QueueTestSupport
import Testing

/// The `job-processor` tool end to end: real processes on a real SQLite file.
@Suite("job-processor command line")
struct CommandLineToolTests {
    @Test func demoRunsForItsDurationAndEndsWithASummary() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let output = try await CommandLineTool.run(["demo", "--duration", "5", "--store", store.option])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        #expect(output.stdout.contains("Summary"))
        #expect(output.stdout.contains("demo.echo"))
        #expect(output.stdout.contains("jobs ended in"))
    }

    @Test func twoWorkersOnOneSQLiteFileRunEachEnqueuedJobExactlyOnce() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID()).txt").path
        defer { try? FileManager.default.removeItem(atPath: trace) }
        let enqueued = try await CommandLineTool.run(["enqueue", "demo.echo", "--count", "500", "--payload", #"{"n": 1}"#, "--store", store.option])
        #expect(enqueued.status == 0, "stderr: \(enqueued.stderr)")
        let ids = Set(enqueued.stdout.split(separator: "\n").map(String.init))
        #expect(ids.count == 500)

        let workers = try (0..<2).map { _ in
            try CommandLineTool.start(["worker", "--trace-file", trace, "--store", store.option])
        }
        defer { workers.forEach { $0.send(SIGKILL) } }
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        try await waitUntil("500 finished jobs", timeout: .seconds(90)) {
            try await reader.jobs(matching: JobQuery(names: ["demo.echo"], statuses: [.finished], limit: 1_000)).count == 500
        }
        for worker in workers { worker.send(SIGTERM) }
        for worker in workers { try await worker.exited() }
        #expect(workers.allSatisfy { $0.status == 0 })
        let text = (try? String(contentsOfFile: trace, encoding: .utf8)) ?? ""
        let lines: [[Substring]] = text.split(separator: "\n").map { $0.split(separator: " ") }
        let runs: [String] = lines.filter { $0.count == 3 && $0[2] == "demo.echo" }.map { String($0[1]) }
        #expect(runs.count == 500, "each job ran exactly once")
        #expect(Set(runs) == ids)
    }

    @Test func killEndsARunningDemoSleep() async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let enqueued = try await CommandLineTool.run(["enqueue", "demo.sleep", "--payload", #"{"ms": 600000}"#, "--store", store.option])
        let id = try #require(ObjectId(enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let worker = try CommandLineTool.start(["worker", "--store", store.option])
        defer { worker.send(SIGKILL) }
        let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
        try await waitUntil("the job to run") { try await reader.job(id: id)?.status == .running }
        let killed = try await CommandLineTool.run(["kill", "\(id)", "--store", store.option])
        #expect(killed.status == 0, "stderr: \(killed.stderr)")
        #expect(killed.stdout.contains("signalled"))
        try await waitUntil("the job to be killed") { try await reader.job(id: id)?.status == .killed }
        worker.send(SIGTERM)
        try await worker.exited()
        #expect(worker.status == 0)
    }

    @Test(arguments: [
        (["enqueue", "demo.echo", "--store", "redis://localhost"], "--store redis://localhost"),
        (["enqueue", "demo.echo", "--store", "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300"], "cannot reach the MongoDB store"),
        (["enqueue", "demo.nope"], "no job named \"demo.nope\""),
        (["enqueue", "demo.echo", "--payload", "{not json"], "--payload"),
        (["enqueue", "demo.echo", "--payload", "[1, 2]"], "expected a JSON object"),
        (["kill", "0123456789abcdef01234567"], "no job has the id"),
        (["kill", "xyz"], "not a job id"),
        (["jobs", "--status", "lost"], "--status lost"),
    ])
    func badInputPrintsOneLineNamingTheProblemAndWritesNothing(_ arguments: [String], _ expected: String) async throws {
        let store = TemporaryStore()
        defer { store.remove() }
        let withStore = arguments.contains("--store") ? arguments : arguments + ["--store", store.option]
        let output = try await CommandLineTool.run(withStore)
        #expect(output.status != 0)
        #expect(output.stderr.contains(expected), "stderr: \(output.stderr)")
        #expect(output.stderr.split(separator: "\n").count == 1, "one line: \(output.stderr)")
        if FileManager.default.fileExists(atPath: store.path) {
            let reader = try SQLiteJobStore(path: store.path, logger: Logger(label: "test"))
            #expect(try await reader.jobs(matching: JobQuery(limit: 10)).isEmpty, "nothing written")
        }
    }
}
