import ArgumentParser
import Foundation
import GRDB
import Logging
import Queue
import QueueMongo
import QueueSQLite

/// Benchmark 2, the embedded store: no-op jobs on one SQLite file, run by worker processes
/// (`QueueBenchmark worker`), as a host without MongoDB would run them.
///
/// - bulk: N jobs stored by this process first, then the workers start; jobs/s = N / (the
///   last `ended_at` − the moment the workers were spawned).
/// - trickle: the workers run first, then this process schedules N jobs at a steady rate.
///
/// - enqueue: no worker: this process stores N jobs, `--batch` per `schedule` call (1: one
///   `schedule(_:payload:)`, one transaction, per job; more: `schedule(many:)`, one transaction
///   per batch); jobs/s = N / the time of the calls, and the process's CPU per job.
/// - store: no worker process and no handler: this process claims `concurrency` jobs, then
///   records their endings and claims the next ones in one call
///   (`finish(_:thenClaim:now:limit:)`), until none is left. The store's own ceiling on this
///   machine, to read the worker figures against.
///
/// Enqueue→start latency: each job carries its enqueue time on CLOCK_MONOTONIC (shared by the
/// processes of one machine); each worker's handler subtracts it from its own reading and the
/// workers write their latencies when stopped.
struct SQLiteBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sqlite", abstract: "No-op jobs on SQLite, several worker processes.")

    @Option(help: "bulk, trickle, enqueue or store.") var mode = "bulk"
    @Option(help: "Enqueue: jobs per schedule call (1: one transaction per job).") var batch = 1
    @Option(help: "Jobs to run.") var jobs = 20_000
    @Option(help: "Worker processes.") var workers = 2
    @Option(help: "Handlers at once per worker.") var concurrency = 16
    @Option(help: "Trickle: jobs scheduled per second.") var rate = 500
    @Option(help: "A directory for the database file (default: a new temporary one).") var directory: String?
    @Option(help: "Write each job's enqueue→start latency (µs), one per line.") var latencies: String?
    @Option(help: "The workers' poll interval bounds in milliseconds, `low...high` (default: the worker's).")
    var pollMilliseconds: String?

    func run() async throws {
        let folder = directory ?? NSTemporaryDirectory() + "sqlite-bench-\(getpid())"
        let (path, store, client) = try await BenchmarkJobs.freshSQLite(in: folder)
        if mode == "store" { return try await runStoreAlone(store, client) }
        if mode == "enqueue" { return try await runEnqueue(client) }
        let reader = try DatabaseQueue(path: path)
        let finished = { try await reader.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'finished'") ?? 0 } }

        var processes: [WorkerProcess] = []
        defer { for process in processes { process.stop() } }
        let latencyFiles = (0..<workers).map { folder + "/latencies-\($0).txt" }
        for file in latencyFiles { try? FileManager.default.removeItem(atPath: file) }
        func spawnWorkers() throws -> [WorkerProcess] {
            try latencyFiles.map { try WorkerProcess(sqlite: path, concurrency: concurrency, latencyFile: $0, pollMilliseconds: pollMilliseconds) }
        }
        let spawned: Date
        var enqueueRate = Double.nan
        switch mode {
        case "bulk":
            let start = monotonicSeconds()
            for _ in 0..<jobs { try await client.schedule("noop", payload: BenchmarkJobs.stamped()) }
            enqueueRate = Double(jobs) / (monotonicSeconds() - start)
            spawned = Date()
            processes = try spawnWorkers()
        case "trickle":
            processes = try spawnWorkers()
            for process in processes { try process.waitUntilStarted() }
            spawned = Date()
            let start = monotonicSeconds()
            for index in 0..<jobs {
                let wait = start + Double(index) / Double(rate) - monotonicSeconds()
                if wait > 0.000_2 { try await Task.sleep(for: .seconds(wait)) }
                try await client.schedule("noop", payload: BenchmarkJobs.stamped())
            }
        default:
            throw ValidationError("--mode is bulk, trickle, enqueue or store")
        }
        try await waitUntil("\(jobs) jobs to finish", timeout: 900, step: .milliseconds(50)) { try await finished() == jobs }
        let lastEnd = try await reader.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(ended_at) FROM jobs") ?? 0 }
        let seconds = Double(lastEnd) / 1000 - spawned.timeIntervalSince1970
        let rate = Double(jobs) / seconds
        let childrenCPUBefore = childrenCPUSeconds()
        for process in processes { process.stop() }
        processes = []
        // The workers' CPU from start to stop (startup and the idle wait for SIGTERM included),
        // counted once they are reaped.
        let workerCPUPerJob = (childrenCPUSeconds() - childrenCPUBefore) / Double(jobs)
        let latency = Samples(try latencyFiles.flatMap(readMicroseconds))
        guard latency.values.count == jobs else {
            throw BenchmarkError("the workers reported \(latency.values.count) latencies for \(jobs) jobs")
        }
        try latency.write(to: latencies, scale: 1e6)
        let enqueue = enqueueRate.isNaN ? "" : String(format: "; enqueue %.0f jobs/s", enqueueRate)
        print(String(format: "sqlite (%@): %d no-op jobs, %d worker processes × concurrency %d: %.0f jobs/s; enqueue→start p50 %.1f ms, p99 %.1f ms",
                     mode, jobs, workers, concurrency, rate, latency.percentile(50) * 1e3, latency.percentile(99) * 1e3) + enqueue
              + String(format: "; workers' CPU %.1f µs per job", workerCPUPerJob * 1e6))
        try emit([
            "benchmark": "sqlite", "mode": mode, "jobs": jobs, "workers": workers, "concurrency": concurrency,
            "jobs_per_s": rate, "enqueue_per_s": enqueueRate.isNaN ? 0 : enqueueRate,
            "latency_p50_ms": latency.percentile(50) * 1e3, "latency_p99_ms": latency.percentile(99) * 1e3,
            "worker_cpu_us_per_job": workerCPUPerJob * 1e6,
        ])
    }
    /// The `enqueue` mode: `jobs` jobs stored, `batch` per call, nothing run.
    private func runEnqueue(_ client: JobProcessor) async throws {
        guard batch >= 1 else { throw ValidationError("--batch is at least 1") }
        let start = monotonicSeconds()
        let startCPU = processCPUSeconds()
        var stored = 0
        while stored < jobs {
            let count = min(batch, jobs - stored)
            if batch == 1 {
                try await client.schedule("noop", payload: BenchmarkJobs.stamped())
            } else {
                try await client.schedule(many: (0..<count).map { _ in JobRequest("noop", payload: BenchmarkJobs.stamped()) })
            }
            stored += count
        }
        let seconds = monotonicSeconds() - start
        let cpuPerJob = (processCPUSeconds() - startCPU) / Double(jobs)
        print(String(format: "sqlite (enqueue): %d jobs, %d per call, one process: %.0f jobs/s, %.1f µs CPU per job",
                     jobs, batch, Double(jobs) / seconds, cpuPerJob * 1e6))
        try emit([
            "benchmark": "sqlite", "mode": mode, "jobs": jobs, "batch": batch, "jobs_per_s": Double(jobs) / seconds,
            "cpu_us_per_job": cpuPerJob * 1e6,
        ])
    }

    /// The `store` mode: claims and endings straight on the store, `concurrency` at a time.
    private func runStoreAlone(_ store: SQLiteJobStore, _ client: JobProcessor) async throws {
        for _ in 0..<jobs { try await client.schedule("noop") }
        let scope = ClaimScope(workerId: ObjectId(), names: ["noop"])
        let start = monotonicSeconds()
        let startCPU = processCPUSeconds()
        var batch = try await store.claim(scope, now: Date(), limit: concurrency)
        var ended = 0
        while !batch.isEmpty {
            let endings = batch.map { job in
                FinishRequest(job.id, by: scope.workerId, as: .finished, output: nil, at: Date(), claimed: job)
            }
            let outcome = await store.finish(endings, thenClaim: scope, now: Date(), limit: concurrency)
            ended += try outcome.endings.filter { try $0.get() != nil }.count
            batch = try outcome.claimed.get()
        }
        let rate = Double(ended) / (monotonicSeconds() - start)
        let cpuPerJob = (processCPUSeconds() - startCPU) / Double(ended)
        guard ended == jobs else { throw BenchmarkError("recorded \(ended) endings for \(jobs) jobs") }
        print(String(format: "sqlite (store): %d no-op jobs, one process, no handlers, %d per call: %.0f jobs/s, %.1f µs CPU per job",
                     jobs, concurrency, rate, cpuPerJob * 1e6))
        try emit([
            "benchmark": "sqlite", "mode": mode, "jobs": jobs, "concurrency": concurrency, "jobs_per_s": rate,
            "cpu_us_per_job": cpuPerJob * 1e6,
        ])
    }
}
