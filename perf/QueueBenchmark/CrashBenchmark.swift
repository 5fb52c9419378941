import ArgumentParser
import Foundation
import GRDB
import Logging
import Queue
import QueueMongo
import QueueSQLite

/// Benchmark 5, crash detection: two worker processes share a SQLite file with the default
/// heartbeat and dead-worker timeout; a blocking job starts on one of them, which is then
/// SIGKILLed; the figure is the time from the SIGKILL to the job recorded `errored` ("Worker
/// crashed unexpectedly") by the surviving worker. Repeated `--runs` times, a fresh worker
/// replacing the killed one each time.
struct CrashBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crash", abstract: "SIGKILL a worker, time its job's recovery.")

    @Option(help: "Crashes to time.") var runs = 3

    func run() async throws {
        let (path, store, client) = try await BenchmarkJobs.freshSQLite(in: NSTemporaryDirectory() + "crash-bench-\(getpid())")

        var workers = try (0..<2).map { _ in try WorkerProcess(sqlite: path) }
        defer { for worker in workers { worker.stop() } }
        for worker in workers { try worker.waitUntilStarted() }
        var detections: [Double] = []
        for run in 1...runs {
            let job = try await client.schedule("block")
            var owner: ObjectId?
            try await waitUntil("the blocking job to start", timeout: 10) {
                let stored = try await store.job(id: job.id)
                owner = stored?.status == .running ? stored?.workerId : nil
                return owner != nil
            }
            guard let index = workers.firstIndex(where: { $0.workerId == owner?.description }) else {
                throw BenchmarkError("the job runs on an unknown worker \(owner!)")
            }
            workers[index].signal(SIGKILL)
            let killed = monotonicSeconds()
            workers[index].process.waitUntilExit()
            try await waitUntil("the killed worker's job to be recovered", timeout: 60, step: .milliseconds(10)) {
                try await store.job(id: job.id)?.status == .errored
            }
            let detection = monotonicSeconds() - killed
            detections.append(detection)
            print(String(format: "crash %d: job recovered %.2f s after SIGKILL", run, detection))
            workers[index] = try WorkerProcess(sqlite: path)
            try workers[index].waitUntilStarted()
            // The survivor still runs nothing; the next job may land on either worker.
        }
        let samples = Samples(detections)
        let defaults = QueueConfiguration(store: store, logger: Logger(label: "bench"), jobs: [:])
        print(String(format: "crash detection (heartbeat %@, dead after %@): median %.2f s, max %.2f s over %d crashes",
                     "\(defaults.heartbeatInterval)", "\(defaults.deadWorkerTimeout)", samples.percentile(50), samples.max, runs))
        try emit([
            "benchmark": "crash", "runs": runs, "median_s": samples.percentile(50), "max_s": samples.max,
            "heartbeat_s": defaults.heartbeatInterval.timeInterval, "dead_after_s": defaults.deadWorkerTimeout.timeInterval,
        ])
    }
}
