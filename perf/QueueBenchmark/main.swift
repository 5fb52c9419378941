// Queue benchmark: `swift run -c release QueueBenchmark [--jobs N] [--store memory|mongo]`.
//
// Stores N no-op jobs, then runs one worker (concurrency 16) until all have ended, and prints:
// - jobs per second, from the first ending to the last (memory store: the engine's overhead);
// - MongoDB commands per job at steady state (mongo store): the commands the client pool sent
//   between the 10th and the 90th percentile of endings, divided by the jobs ended in between,
//   counted by libmongoc's command monitoring. On the emulator (MONGODB_URI from
//   scripts/mongo-test-server) the rate is a regression figure only, never a speed claim.
import Foundation
import Logging
import Queue
import Synchronization

struct Options {
    var jobs = 10_000
    var stores = ["memory", "mongo"]

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            switch flag {
            case "--jobs": jobs = Int(iterator.next() ?? "") ?? jobs
            case "--store": stores = [iterator.next() ?? "memory"]
            default: fatalError("usage: QueueBenchmark [--jobs N] [--store memory|mongo]")
            }
        }
    }
}

/// Counts endings and samples the command counter at the 10th and 90th percentiles.
final class Progress: Sendable {
    struct State {
        var ended = 0
        var firstEnd: ContinuousClock.Instant?
        var lastEnd: ContinuousClock.Instant?
        var commandsAt10: Int?
        var commandsAt90: Int?
        var done: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())
    let total: Int
    let commands: @Sendable () -> Int

    init(total: Int, commands: @escaping @Sendable () -> Int) {
        self.total = total
        self.commands = commands
    }

    func ended() {
        let now = ContinuousClock.now
        let done: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.ended += 1
            if state.firstEnd == nil { state.firstEnd = now }
            state.lastEnd = now
            if state.ended == total / 10 { state.commandsAt10 = commands() }
            if state.ended == total * 9 / 10 { state.commandsAt90 = commands() }
            guard state.ended == total else { return nil }
            defer { state.done = nil }
            return state.done
        }
        done?.resume()
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let finished = state.withLock { state in
                if state.ended == total { return true }
                state.done = continuation
                return false
            }
            if finished { continuation.resume() }
        }
    }
}

func measure(store: any JobStore, jobs: Int, commands: @escaping @Sendable () -> Int) async throws -> (rate: Double, commandsPerJob: Double) {
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let progress = Progress(total: jobs, commands: commands)
    var configuration = QueueConfiguration(store: store, logger: logger, jobs: [
        "noop": JobDefinition(onJobExited: { _ in progress.ended() }) { _, _ in nil },
    ])
    configuration.concurrency = 16
    let processor = try JobProcessor(configuration)
    try await store.prepare()
    for _ in 0..<jobs { _ = try await processor.schedule("noop") }
    let worker = Task { try await processor.run() }
    await progress.wait()
    processor.stop()
    try await worker.value
    let state = progress.state.withLock { $0 }
    let seconds = (state.lastEnd! - state.firstEnd!) / .seconds(1)
    let measured = Double(jobs * 9 / 10 - jobs / 10)
    return (Double(jobs - 1) / seconds, Double(state.commandsAt90! - state.commandsAt10!) / measured)
}

let options = Options(CommandLine.arguments)
for kind in options.stores {
    switch kind {
    case "memory":
        let result = try await measure(store: MemoryJobStore(), jobs: options.jobs) { 0 }
        print(String(format: "memory store: %d no-op jobs, concurrency 16: %.0f jobs/s", options.jobs, result.rate))
    case "mongo":
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"] else {
            print("mongo store: skipped (MONGODB_URI is not set; start scripts/mongo-test-server)")
            continue
        }
        let database = try MongoDatabase.connect(MongoConnectionString(uri), database: "bench_\(ObjectId())")
        let store = MongoJobStore(database: database, logger: Logger(label: "bench"))
        let result = try await measure(store: store, jobs: options.jobs) { database.commandsSent }
        print(String(format: "mongo store (%@): %.2f commands per job at steady state (claim to completion)",
                     database.redactedURI, result.commandsPerJob))
        print(String(format: "mongo store: %.0f jobs/s (a regression figure only on the emulator)", result.rate))
        database.close()
    default:
        fatalError("unknown store \(kind)")
    }
}
