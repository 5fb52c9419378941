// Peer harness: hummingbird-project/swift-jobs (1.3.x) with its memory driver (MemoryQueue),
// the same no-op workload as `QueueBenchmark engine`.
//
// Usage: SwiftJobsBench [--jobs N] [--mode bulk|trickle] [--rate JOBS_PER_SEC] [--workers W] [--latencies PATH]
//
//   bulk    (default): push all N jobs first, then start the processor.
//   trickle          : start the processor, then a pusher pushes N jobs at a steady pace (--rate, default 10000/s).
//
// Output (exactly):
//   jobs: N
//   jobs/s: N / (last handler end - processor start)
//   latency p50 ms: enqueue -> handler start, 50th percentile
//   latency p99 ms: enqueue -> handler start, 99th percentile
//   cpu us/job: CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID) from processor start to
//               the last handler end, per job (bulk only; steadier than jobs/s on a shared machine)
//   end to end jobs/s: N / (last handler end - first push) (bulk only: the pushes count too)
//   end to end cpu us/job: CPU time of the whole process from the first push to the last
//               handler end, per job (bulk only)
// All timestamps come from CLOCK_MONOTONIC.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Jobs
import Logging
import Synchronization

func printError(_ message: String) {
    FileHandleStderr.write(message)
}

enum FileHandleStderr {
    static func write(_ s: String) {
        _ = s.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
}

func processCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1_000_000_000
}

struct BenchJob: JobParameters {
    static let jobName = "bench-noop"
    let index: Int
    let enqueuedAt: Double
}

struct Options {
    var jobs = 100_000
    var mode = "bulk"
    var rate = 10_000.0
    var workers = 16
    var latenciesPath: String? = nil
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst().makeIterator()
    while let a = args.next() {
        func value() -> String {
            guard let v = args.next() else {
                printError("missing value for \(a)\n")
                exit(2)
            }
            return v
        }
        switch a {
        case "--jobs": o.jobs = Int(value()) ?? o.jobs
        case "--mode": o.mode = value()
        case "--rate": o.rate = Double(value()) ?? o.rate
        case "--workers": o.workers = Int(value()) ?? o.workers
        case "--latencies": o.latenciesPath = value()
        default:
            printError("unknown argument \(a)\n")
            exit(2)
        }
    }
    guard o.mode == "bulk" || o.mode == "trickle" else {
        printError("--mode must be bulk or trickle\n")
        exit(2)
    }
    return o
}

final class Recorder: Sendable {
    struct State {
        var completed = 0
        var firstStart = Double.infinity
        var lastEnd = 0.0
        var latencies: [Double]
    }
    let state: Mutex<State>
    let total: Int
    let done: AsyncStream<Void>.Continuation
    let doneStream: AsyncStream<Void>

    init(total: Int) {
        self.total = total
        self.state = Mutex(State(latencies: [Double](repeating: .nan, count: total)))
        (self.doneStream, self.done) = AsyncStream.makeStream(of: Void.self)
    }

    func started(index: Int, enqueuedAt: Double, at now: Double) {
        self.state.withLock {
            $0.latencies[index] = now - enqueuedAt
            if now < $0.firstStart { $0.firstStart = now }
        }
    }

    func finished(at now: Double) {
        let finishedAll = self.state.withLock {
            $0.completed += 1
            if now > $0.lastEnd { $0.lastEnd = now }
            return $0.completed == self.total
        }
        if finishedAll { self.done.yield(); self.done.finish() }
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let idx = Int((p * Double(sorted.count - 1)).rounded())
    return sorted[min(max(idx, 0), sorted.count - 1)]
}

let options = parseOptions()
var logger = Logger(label: "SwiftJobsBench")
logger.logLevel = .warning

let recorder = Recorder(total: options.jobs)
let jobQueue = JobQueue(.memory, logger: logger)
jobQueue.registerJob(parameters: BenchJob.self, retryStrategy: .dontRetry) { parameters, _ in
    recorder.started(index: parameters.index, enqueuedAt: parameters.enqueuedAt, at: monotonicSeconds())
    // no-op job
    recorder.finished(at: monotonicSeconds())
}

// swift-jobs 1.x: concurrency is configured on the processor, via JobQueueProcessorOptions(numWorkers:)
let processor = jobQueue.processor(options: .init(numWorkers: options.workers))

let pushStart = monotonicSeconds()
let cpuAtPush = processCPUSeconds()
if options.mode == "bulk" {
    for i in 0..<options.jobs {
        try await jobQueue.push(BenchJob(index: i, enqueuedAt: monotonicSeconds()))
    }
}

let processorStart = monotonicSeconds()
let cpuAtStart = processCPUSeconds()
let processorTask = Task {
    try await processor.run()
}

var pusherTask: Task<Void, any Error>? = nil
if options.mode == "trickle" {
    let n = options.jobs
    let rate = options.rate
    pusherTask = Task {
        let start = monotonicSeconds()
        var pushed = 0
        while pushed < n {
            let due = min(n, Int((monotonicSeconds() - start) * rate) + 1)
            while pushed < due {
                try await jobQueue.push(BenchJob(index: pushed, enqueuedAt: monotonicSeconds()))
                pushed += 1
            }
            if pushed < n {
                try await Task.sleep(for: .microseconds(500))
            }
        }
    }
}

for await _ in recorder.doneStream { break }
let cpuAtEnd = processCPUSeconds()
let cpuSeconds = cpuAtEnd - cpuAtStart
try await pusherTask?.value
processorTask.cancel()
_ = await processorTask.result

let (lastEnd, latencies) = recorder.state.withLock { ($0.lastEnd, $0.latencies) }
let elapsed = lastEnd - processorStart
let sorted = latencies.sorted()
print("jobs: \(options.jobs)")
print("jobs/s: \(String(format: "%.1f", Double(options.jobs) / elapsed))")
print("latency p50 ms: \(String(format: "%.3f", percentile(sorted, 0.50) * 1000))")
print("latency p99 ms: \(String(format: "%.3f", percentile(sorted, 0.99) * 1000))")
if options.mode == "bulk" {
    print("cpu us/job: \(String(format: "%.2f", cpuSeconds / Double(options.jobs) * 1_000_000))")
    print("end to end jobs/s: \(String(format: "%.1f", Double(options.jobs) / (lastEnd - pushStart)))")
    print("end to end cpu us/job: \(String(format: "%.2f", (cpuAtEnd - cpuAtPush) / Double(options.jobs) * 1_000_000))")
}

if let path = options.latenciesPath {
    var out = ""
    out.reserveCapacity(latencies.count * 8)
    for l in latencies {
        out += String(Int((l * 1_000_000).rounded()))
        out += "\n"
    }
    guard let f = fopen(path, "w") else {
        printError("cannot open \(path)\n")
        exit(1)
    }
    fputs(out, f)
    fclose(f)
}
