import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// Benchmark 1, the engine's own overhead: no-op jobs on the memory store, one worker.
///
/// - bulk: N jobs stored first, then the worker starts; jobs/s = N / (last handler start −
///   worker start). End to end, the same N jobs over (last handler start − first enqueue): the
///   enqueueing counts too. The enqueue→start latency here is mostly time spent waiting in the
///   backlog.
/// - trickle: the worker runs first, then N jobs are scheduled at a steady rate; the
///   enqueue→start latency (handler start − `created_at`) is the engine's pick-up latency.
/// - retry: as bulk, but every other job's first run throws and is retried at once (a retry
///   policy of two attempts, no back-off): N jobs succeed after 1.5 N runs; jobs/s counts
///   the N jobs, from the worker's start to the last success.
struct EngineBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine", abstract: "No-op jobs on the memory store.")

    @Option(help: "bulk, trickle or retry.") var mode = "bulk"
    @Option(help: "Jobs to run.") var jobs = 100_000
    @Option(help: "Handlers at once.") var concurrency = 16
    @Option(help: "Trickle: jobs scheduled per second.") var rate = 5_000
    @Option(help: "Write each job's enqueue→start latency (µs), one per line.") var latencies: String?
    @Option(help: "none, or prometheus: swift-prometheus bootstrapped as the metrics backend.") var metrics = "none"

    func run() async throws {
        switch metrics {
        case "none": break
        case "prometheus": MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()))
        default: throw ValidationError("--metrics is none or prometheus")
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let recorder = StartRecorder(expected: jobs)
        let firstRuns = Atomic<Int>(0)
        // One definition per mode: a worker's claims look at each name it defines, so a second
        // name would make every claim of the bulk workload look at two.
        let definition = mode == "retry"
            // Every other job fails its first run and is retried at once.
            ? JobDefinition(retry: .exponential(maxAttempts: 2, base: .zero, ceiling: .zero, jitter: 0)) { job, _ in
                if job.attempts == 0, firstRuns.wrappingAdd(1, ordering: .relaxed).oldValue.isMultiple(of: 2) {
                    throw FirstRunFailure()
                }
                recorder.started(job)
                return nil
            }
            : JobDefinition { job, _ in
                recorder.started(job)
                return nil
            }
        let name = mode == "retry" ? "flaky" : "noop"
        var configuration = QueueConfiguration(store: MemoryJobStore(), logger: logger, jobs: [name: definition])
        configuration.concurrency = concurrency
        let processor = try JobProcessor(configuration)
        let started: Double
        var (cpuSeconds, enqueueStarted, endToEndCPUSeconds) = (Double.nan, Double.nan, Double.nan)
        switch mode {
        case "bulk", "retry":
            enqueueStarted = monotonicSeconds()
            let cpuAtEnqueue = processCPUSeconds()
            for _ in 0..<jobs { try await processor.schedule(name) }
            started = monotonicSeconds()
            let cpuAtStart = processCPUSeconds()
            let worker = Task { try await processor.run() }
            try await recorder.waitForAll()
            let cpuAtEnd = processCPUSeconds()
            (cpuSeconds, endToEndCPUSeconds) = (cpuAtEnd - cpuAtStart, cpuAtEnd - cpuAtEnqueue)
            processor.stop()
            try await worker.value
        case "trickle":
            let worker = Task { try await processor.run() }
            try await waitUntil("the worker to start", timeout: 10) { await processor.health().isHealthy }
            started = monotonicSeconds()
            let interval = 1.0 / Double(rate)
            for index in 0..<jobs {
                let due = started + Double(index) * interval
                let wait = due - monotonicSeconds()
                if wait > 0.000_2 { try await Task.sleep(for: .seconds(wait)) }
                try await processor.schedule("noop")
            }
            try await recorder.waitForAll()
            processor.stop()
            try await worker.value
        default:
            throw ValidationError("--mode is bulk, trickle or retry")
        }
        let result = recorder.result()
        let rate = Double(jobs) / (result.lastStart - started)
        let latency = Samples(result.latencies)
        try latency.write(to: latencies, scale: 1e6)
        // Bulk only: CPU of every thread from the worker's start (or the first enqueue) to the
        // last handler start.
        let cpuPerJob = cpuSeconds / Double(jobs) * 1e6
        let endToEndRate = Double(jobs) / (result.lastStart - enqueueStarted)
        let endToEndCPUPerJob = endToEndCPUSeconds / Double(jobs) * 1e6
        print(String(format: "engine (%@, metrics: \(metrics)): %d no-op jobs, memory store, concurrency %d: %.0f jobs/s; enqueue→start p50 %.3f ms, p99 %.3f ms%@",
                     mode, jobs, concurrency, rate, latency.percentile(50) * 1e3, latency.percentile(99) * 1e3,
                     cpuPerJob.isNaN ? "" : String(format: "; CPU %.2f µs/job; end to end (enqueueing included) %.0f jobs/s, CPU %.2f µs/job",
                                                   cpuPerJob, endToEndRate, endToEndCPUPerJob)))
        var fields: [String: any Sendable] = [
            "benchmark": "engine", "mode": mode, "metrics": metrics, "jobs": jobs, "concurrency": concurrency, "jobs_per_s": rate,
            "latency_p50_ms": latency.percentile(50) * 1e3, "latency_p99_ms": latency.percentile(99) * 1e3,
        ]
        if !cpuPerJob.isNaN {
            fields["cpu_us_per_job"] = cpuPerJob
            fields["end_to_end_jobs_per_s"] = endToEndRate
            fields["end_to_end_cpu_us_per_job"] = endToEndCPUPerJob
        }
        try emit(fields)
    }
}

/// What the retry workload's failing first runs throw.
struct FirstRunFailure: Error, CustomStringConvertible {
    var description: String { "first run fails" }
}

/// Counts handler starts and their enqueue→start latency, from any thread.
final class StartRecorder: Sendable {
    private struct State {
        var latencies: [Double] = []
        var lastStart = 0.0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    let expected: Int

    init(expected: Int) {
        self.expected = expected
        var initial = State()
        initial.latencies.reserveCapacity(expected)
        state = Mutex(initial)
    }

    func started(_ job: Job) {
        let latency = Date().timeIntervalSince(job.createdAt)
        let now = monotonicSeconds()
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.latencies.append(latency)
            state.lastStart = now
            guard state.latencies.count == expected else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func waitForAll() async throws {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.latencies.count >= expected { return true }
                state.waiter = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    func result() -> (latencies: [Double], lastStart: Double) {
        state.withLock { ($0.latencies, $0.lastStart) }
    }
}
