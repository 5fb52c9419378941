import ArgumentParser
import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// A worker process for the multi-process benchmarks: runs no-op (`noop`) and blocking
/// (`block`, which waits for its signal) jobs on a SQLite file until SIGTERM (or SIGKILL).
/// Prints `worker <id>` once started. It runs with the product's defaults: it learns of other
/// processes' jobs from its inotify watch of the file (``SQLiteJobStore/watchNewJobs(_:_:)``)
/// and polls every 20 ms after work was found, backing off to 1 s. (Polling every millisecond
/// instead, as the huey peer's consumer is run with `-d 0.001 -m 0.001`, measured slower here
/// on both the bulk and trickle figures: each empty poll takes the file's write lock.)
struct BenchmarkWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "A SQLite worker process (for the other subcommands).")

    @Option(help: "The SQLite file.") var sqlite: String
    @Option(help: "Handlers at once.") var concurrency = 16
    @Option(help: "Where to write the enqueue→start latencies (µs) of the no-op jobs it ran, at exit.")
    var latencyFile: String?
    @Option(help: "Poll interval bounds in milliseconds, `low...high` (default: the product's, 20...1000).")
    var pollMilliseconds: String?

    func run() async throws {
        var logger = Logger(label: "bench.worker")
        logger.logLevel = .warning
        let store = try SQLiteJobStore(path: sqlite, logger: logger)
        var configuration = QueueConfiguration(store: store, logger: logger, jobs: BenchmarkJobs.definitions)
        configuration.concurrency = concurrency
        if let pollMilliseconds {
            let bounds = pollMilliseconds.split(separator: ".", omittingEmptySubsequences: true).compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] > 0, bounds[0] <= bounds[1] else {
                throw ValidationError("--poll-milliseconds is low...high, e.g. 1...1 or 20...1000")
            }
            configuration.pollInterval = .milliseconds(bounds[0]) ... .milliseconds(bounds[1])
        }
        configuration.handlesTerminationSignals = true
        let processor = try JobProcessor(configuration)
        defer { try? Samples(BenchmarkJobs.startLatencies.withLock { $0 }).write(to: latencyFile, scale: 1e6) }
        // Unbuffered: the parent waits for this line.
        FileHandle.standardOutput.write(Data("worker \(processor.workerId)\n".utf8))
        try await processor.run()
    }
}

/// The jobs the benchmark processes know.
enum BenchmarkJobs {
    /// The enqueue→start latency of each `noop` job run in this process whose payload carries
    /// its enqueue time (`t`, CLOCK_MONOTONIC seconds, the same clock in every process).
    static let startLatencies = Mutex<[Double]>([])

    /// The payload that lets a `noop` job measure its enqueue→start latency.
    static func stamped() -> BSONDocument { ["t": .double(monotonicSeconds())] }

    /// A new, prepared SQLite file `jobs.sqlite` in `folder` (created if needed, any old file
    /// removed), its store, and a processor that is never run, to schedule jobs through the
    /// same path as an application's.
    static func freshSQLite(in folder: String) async throws -> (path: String, store: SQLiteJobStore, client: JobProcessor) {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/jobs.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let store = try SQLiteJobStore(path: path, logger: logger)
        try await store.prepare()
        return (path, store, try JobProcessor(QueueConfiguration(store: store, logger: logger, jobs: definitions)))
    }

    static let definitions: [String: JobDefinition] = [
        "noop": JobDefinition { job, _ in
            if case .double(let enqueued)? = job.payload?["t"] {
                let latency = monotonicSeconds() - enqueued
                startLatencies.withLock { $0.append(latency) }
            }
            return nil
        },
        "block": JobDefinition { _, signal in
            _ = await signal.cancelled()
            return nil
        },
    ]
}

/// A child process running `QueueBenchmark worker`.
final class WorkerProcess {
    let process = Process()
    private let output = Pipe()
    /// The worker's id, as it printed it.
    private(set) var workerId = ""

    init(sqlite: String, concurrency: Int = 16, latencyFile: String? = nil, pollMilliseconds: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.resolvingSymlinksInPath()
        process.arguments = ["worker", "--sqlite", sqlite, "--concurrency", "\(concurrency)"]
            + (latencyFile.map { ["--latency-file", $0] } ?? [])
            + (pollMilliseconds.map { ["--poll-milliseconds", $0] } ?? [])
        process.standardOutput = output
        try process.run()
    }

    /// Waits for the worker's first line (`worker <id>`).
    func waitUntilStarted() throws {
        var line = Data()
        while line.last != UInt8(ascii: "\n") {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { throw BenchmarkError("a worker process exited before starting") }
            line.append(byte)
        }
        workerId = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "worker ", with: "")
    }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    func stop() {
        signal(SIGTERM)
        process.waitUntilExit()
    }
}
