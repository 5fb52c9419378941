import ArgumentParser
import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// Benchmark 4, scheduling precision: one worker runs a per-second cron (`* * * * * *`) for
/// `--seconds` and, over the same window, `--delayed` jobs scheduled at times spread evenly
/// across it. Lateness = handler start − the job's `scheduled_for` (the cron tick, or the time
/// the delayed job was scheduled for).
struct PrecisionBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "precision", abstract: "Cron and delayed-job lateness.")

    @Option(help: "memory or sqlite (a file in a temporary directory).") var store = "sqlite"
    @Option(help: "How long the cron runs.") var seconds = 60
    @Option(help: "Delayed jobs spread over the window.") var delayed = 1_000
    @Option(help: "Write each lateness (µs), one per line.") var latencies: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let jobStore: any JobStore
        switch store {
        case "memory":
            jobStore = MemoryJobStore()
        case "sqlite":
            let folder = NSTemporaryDirectory() + "precision-bench-\(getpid())"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            jobStore = try SQLiteJobStore(path: folder + "/jobs.sqlite", logger: logger)
        default:
            throw ValidationError("--store is memory or sqlite")
        }
        let lateness = Mutex<(cron: [Double], delayed: [Double])>(([], []))
        var configuration = QueueConfiguration(
            store: jobStore, logger: logger,
            jobs: ["delayed": JobDefinition { job, _ in
                let late = Date().timeIntervalSince(job.scheduledFor)
                lateness.withLock { $0.delayed.append(late) }
                return nil
            }],
            crons: ["tick": CronDefinition("* * * * * *") { _, task in
                let late = Date().timeIntervalSince(task.scheduledFor)
                lateness.withLock { $0.cron.append(late) }
                return nil
            }])
        configuration.concurrency = 16
        let processor = try JobProcessor(configuration)
        let worker = Task { try await processor.run() }
        try await waitUntil("the worker to start", timeout: 10) { await processor.health().isHealthy }
        // Ticks in the first two seconds are start-up (the cron document is being created).
        let windowStart = Date().addingTimeInterval(2)
        let windowEnd = windowStart.addingTimeInterval(Double(seconds))
        for index in 0..<delayed {
            let at = windowStart.addingTimeInterval(Double(seconds) * (Double(index) + 0.5) / Double(delayed))
            try await processor.schedule("delayed", at: at)
        }
        try await Task.sleep(for: .seconds(windowEnd.timeIntervalSinceNow + 1))
        try await waitUntil("every delayed job", timeout: 30) { lateness.withLock { $0.delayed.count } >= delayed }
        processor.stop()
        try await worker.value
        let (cronLateness, delayedLateness) = lateness.withLock { $0 }
        // Keep the ticks of the window only (the first may be a catch-up of start-up).
        let ticks = Array(cronLateness.dropFirst(2).prefix(seconds))
        let all = Samples(ticks + delayedLateness)
        let cron = Samples(ticks)
        let late = Samples(delayedLateness)
        try all.write(to: latencies, scale: 1e6)
        func ms(_ value: Double) -> Double { value * 1e3 }
        print(String(format: "precision (%@ store): %d cron ticks p50 %.2f ms p99 %.2f ms max %.2f ms; %d delayed jobs p50 %.2f ms p99 %.2f ms max %.2f ms; all p99 %.2f ms",
                     store, ticks.count, ms(cron.percentile(50)), ms(cron.percentile(99)), ms(cron.max),
                     delayedLateness.count, ms(late.percentile(50)), ms(late.percentile(99)), ms(late.max), ms(all.percentile(99))))
        try emit([
            "benchmark": "precision", "store": store, "ticks": ticks.count, "delayed": delayedLateness.count,
            "cron_p50_ms": ms(cron.percentile(50)), "cron_p99_ms": ms(cron.percentile(99)), "cron_max_ms": ms(cron.max),
            "delayed_p50_ms": ms(late.percentile(50)), "delayed_p99_ms": ms(late.percentile(99)), "delayed_max_ms": ms(late.max),
            "p50_ms": ms(all.percentile(50)), "p99_ms": ms(all.percentile(99)), "max_ms": ms(all.max),
        ])
    }
}
