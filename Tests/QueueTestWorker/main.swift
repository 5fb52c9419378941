// A worker process for the multi-process tests (Tests/QueueTests/MultiProcessTests.swift).
//
// Usage: QueueTestWorker --database NAME --label L --record FILE [--tags a,b] [--concurrency N]
//        [--sqlite PATH]
// MONGODB_URI names the server; with --sqlite the worker uses that SQLite file instead. Every handler run appends a line to FILE (O_APPEND, one write
// per line, so lines from several processes never interleave):
//   worker <label> <workerId>          once, when the worker has started
//   run <label> <jobId> <jobName>      each time a handler starts
//   exit <label> <jobId> <status>      each time onJobExited is called
//   tick <label> <taskId> <ms>         when the cron's handler starts (ms since 1970)
// With --cron, the cron `every-second` (`* * * * * *`) is declared too.
// SIGTERM or SIGINT shuts the worker down gracefully; it exits 0 once its document is removed.
import Foundation
import Logging
import Loop
import Queue
import QueueMongo
import QueueSQLite

struct Arguments {
    var database = ""
    var label = "worker"
    var record = ""
    var tags: [String]?
    var concurrency = 8
    var cron = false
    var sqlite: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--database": database = value
            case "--label": label = value
            case "--record": record = value
            case "--tags": tags = value.split(separator: ",").map(String.init)
            case "--concurrency": concurrency = Int(value) ?? 8
            case "--cron": cron = value == "yes"
            case "--sqlite": sqlite = value
            default: fatalError("unknown argument \(flag)")
            }
        }
    }
}

/// Appends whole lines to the record file shared by every worker of a test.
struct RecordFile: Sendable {
    let path: String

    func append(_ line: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        precondition(fd >= 0, "cannot open \(path)")
        defer { close(fd) }
        let bytes = Array((line + "\n").utf8)
        precondition(write(fd, bytes, bytes.count) == bytes.count)
    }

    func lines() -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}

/// Runs the worker until SIGTERM/SIGINT; returns the exit status.
func runWorker() async throws {
    let arguments = Arguments(CommandLine.arguments)
    let record = RecordFile(path: arguments.record)
    let label = arguments.label
    var logger = Logger(label: "worker.\(label)")
    logger.logLevel = .info

    let database: MongoDatabase?
    let store: any JobStore
    if let path = arguments.sqlite {
        database = nil
        store = try SQLiteJobStore(path: path, logger: logger)
    } else {
        let mongo = try MongoDatabase.connect(
            MongoConnectionString(ProcessInfo.processInfo.environment["MONGODB_URI"] ?? ""), database: arguments.database)
        database = mongo
        store = MongoJobStore(database: mongo, logger: logger)
    }

    let recordRun: JobDefinition.Handler = { job, _ in
        record.append("run \(label) \(job.id) \(job.name)")
        return nil
    }
    let recordExit: JobDefinition.ExitHandler = { job in record.append("exit \(label) \(job.id) \(job.status.rawValue)") }
    // Records its start, then waits for `ms` (honouring cancellation).
    let sleeper: JobDefinition.Handler = { job, _ in
        record.append("run \(label) \(job.id) \(job.name)")
        try await Task.sleep(for: .milliseconds(job.payload?["ms"]?.intValue ?? 50))
        return nil
    }
    // Records its start, then runs until its signal fires.
    let holder: JobDefinition.Handler = { job, signal in
        record.append("run \(label) \(job.id) \(job.name)")
        throw JobSignal.Cancelled(reason: await signal.cancelled())
    }
    let jobs: [String: JobDefinition] = [
        "hold": JobDefinition(resumable: true, onJobExited: recordExit, handler: holder),
        "hold-plain": JobDefinition(onJobExited: recordExit, handler: holder),
        "chaos": JobDefinition(resumable: true, onJobExited: recordExit, handler: sleeper),
        "chaos-plain": JobDefinition(onJobExited: recordExit, handler: sleeper),
        "work": JobDefinition(handler: recordRun),
        // Retried up to three attempts in all: its first run fails, a later one waits for `ms`
        // (honouring cancellation) and finishes.
        "retried": JobDefinition(
            retry: .exponential(maxAttempts: 3, base: .milliseconds(50), ceiling: .milliseconds(200), jitter: 0),
            onJobExited: recordExit
        ) { job, _ in
            record.append("run \(label) \(job.id) \(job.name)")
            if job.attempts == 0 { throw JobSignal.Cancelled(reason: .shutdown) }  // any error: the first attempt fails
            try await Task.sleep(for: .milliseconds(job.payload?["ms"]?.intValue ?? 50))
            return nil
        },
        // Returns its payload as its result: what a store read is written back.
        "echo": JobDefinition(onJobExited: recordExit) { job, _ in
            record.append("run \(label) \(job.id) \(job.name)")
            return job.payload.map { .document($0) }
        },
        "tagged": JobDefinition(tag: "x", handler: recordRun),
        // Holds its exclusive slot until killed or `ms` elapse.
        "exclusive": JobDefinition(concurrency: .exclusive) { job, signal in
            record.append("run \(label) \(job.id) \(job.name)")
            let ms = job.payload?["ms"]?.intValue ?? 1_000
            try await Task.sleep(for: .milliseconds(ms))
            try signal.checkCancellation()
            return nil
        },
        // The first start waits for its signal (to be interrupted); a resumed start finishes.
        "resumable": JobDefinition(resumable: true) { job, signal in
            let startedBefore = record.lines().contains { $0.hasPrefix("run ") && $0.contains(" \(job.id) ") }
            record.append("run \(label) \(job.id) \(job.name)")
            if startedBefore { return "resumed" }
            let reason = await signal.cancelled()
            throw JobSignal.Cancelled(reason: reason)
        },
    ]

    let crons: [String: CronDefinition] = arguments.cron ? [
        "every-second": CronDefinition("* * * * * *", onJobExited: recordExit) { _, task in
            record.append("tick \(label) \(task.id) \(Int64(Date().timeIntervalSince1970 * 1000))")
            return nil
        },
    ] : [:]
    var configuration = QueueConfiguration(
        store: store, logger: logger, jobs: jobs, crons: crons, workerTags: arguments.tags)
    configuration.concurrency = arguments.concurrency
    configuration.pollInterval = .milliseconds(20) ... .milliseconds(500)
    configuration.heartbeatInterval = .milliseconds(500)
    configuration.deadWorkerTimeout = .seconds(3)
    configuration.shutdownGracePeriod = .seconds(5)
    configuration.handlesTerminationSignals = true
    let processor = try JobProcessor(configuration)
    record.append("worker \(label) \(processor.workerId)")
    try await processor.run()
    database?.close()
}

// The loop's signalfd receives SIGTERM only if no thread accepts it: runMain blocks the signals
// before any thread exists.
EventLoop.runMain {
    do {
        try await runWorker()
        return 0
    } catch {
        print("worker failed: \(error)")
        return 1
    }
}
