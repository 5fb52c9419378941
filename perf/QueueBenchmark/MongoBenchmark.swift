import ArgumentParser
import Foundation
import Logging
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// Benchmark 3: MongoDB commands per job over claim to completion, at steady state, counted by
/// libmongoc's command monitoring between the 10th and the 90th percentile of endings. Needs
/// `MONGODB_URI` (e.g. from scripts/mongo-test-server). The jobs/s it also prints is a
/// regression figure only on the emulator (~20x slower than MongoDB, slower as it fills).
///
/// `--mode schedule`: no worker; the commands per job that batch scheduling sends, `--jobs`
/// jobs scheduled `--batch` per `schedule(many:)` call, counted the same way from the first
/// call to the last reply.
struct MongoBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mongo", abstract: "MongoDB commands per job (needs MONGODB_URI).")

    @Option(help: "run (claim to completion) or schedule (batch scheduling).") var mode = "run"
    @Option(help: "Jobs to run, or to schedule.") var jobs = 1_000
    @Option(help: "Handlers at once.") var concurrency = 16
    @Option(help: "Schedule: jobs per schedule(many:) call.") var batch = 1_000

    func run() async throws {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"] else {
            throw ValidationError("MONGODB_URI is not set; start scripts/mongo-test-server")
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let database = try MongoDatabase.connect(MongoConnectionString(uri), database: "bench_\(ObjectId())")
        defer { database.close() }
        let store = MongoJobStore(database: database, logger: logger)
        switch mode {
        case "run": try await runToCompletion(store, database: database, logger: logger)
        case "schedule": try await schedule(store, database: database, logger: logger)
        default: throw ValidationError("--mode is run or schedule")
        }
    }

    /// The `schedule` mode: commands per job of `schedule(many:)`.
    private func schedule(_ store: MongoJobStore, database: MongoDatabase, logger: Logger) async throws {
        guard batch >= 1 else { throw ValidationError("--batch is at least 1") }
        try await store.prepare()
        let client = JobClient(store: store, logger: logger)
        let before = database.commandsSent
        let start = monotonicSeconds()
        var scheduled = 0
        while scheduled < jobs {
            let count = min(batch, jobs - scheduled)
            let stored = try await client.schedule(many: (0..<count).map { _ in JobRequest("noop", payload: ["t": 1.0]) })
            scheduled += stored.count
        }
        let seconds = monotonicSeconds() - start
        let perJob = Double(database.commandsSent - before) / Double(scheduled)
        print(String(format: "mongo (%@, schedule): %d jobs, %d per schedule(many:) call: %.4f commands per job; %.0f jobs/s (regression figure only on the emulator)",
                     database.redactedURI, scheduled, batch, perJob, Double(scheduled) / seconds))
        try emit(["benchmark": "mongo", "mode": mode, "jobs": scheduled, "batch": batch, "commands_per_job": perJob,
                  "jobs_per_s": Double(scheduled) / seconds])
    }

    /// The `run` mode: commands per job from claim to completion.
    private func runToCompletion(_ store: MongoJobStore, database: MongoDatabase, logger: Logger) async throws {
        let endings = EndingCounter(total: jobs) { database.commandsSent }
        var configuration = QueueConfiguration(store: store, logger: logger, jobs: [
            "noop": JobDefinition(onJobExited: { _ in endings.ended() }) { _, _ in nil },
        ])
        configuration.concurrency = concurrency
        let processor = try JobProcessor(configuration)
        try await store.prepare()
        for _ in 0..<jobs { try await processor.schedule("noop") }
        let worker = Task { try await processor.run() }
        try await waitUntil("\(jobs) jobs to end", timeout: 900, step: .milliseconds(50)) { endings.done }
        processor.stop()
        try await worker.value
        let state = endings.state.withLock { $0 }
        let measured = Double(jobs * 9 / 10 - jobs / 10)
        let perJob = Double(state.commandsAt90! - state.commandsAt10!) / measured
        let rate = Double(jobs - 1) / (state.lastEnd - state.firstEnd)
        print(String(format: "mongo (%@): %.2f commands per job at steady state (claim to completion); %.0f jobs/s (regression figure only on the emulator)",
                     database.redactedURI, perJob, rate))
        try emit(["benchmark": "mongo", "jobs": jobs, "commands_per_job": perJob, "jobs_per_s": rate])
    }
}

/// Counts endings (from `onJobExited`) and samples the command counter at the 10th and 90th
/// percentiles.
final class EndingCounter: Sendable {
    struct State {
        var ended = 0
        var firstEnd = 0.0
        var lastEnd = 0.0
        var commandsAt10: Int?
        var commandsAt90: Int?
    }

    let state = Mutex(State())
    let total: Int
    let commands: @Sendable () -> Int

    init(total: Int, commands: @escaping @Sendable () -> Int) {
        self.total = total
        self.commands = commands
    }

    var done: Bool { state.withLock { $0.ended >= total } }

    func ended() {
        let now = monotonicSeconds()
        state.withLock { state in
            state.ended += 1
            if state.ended == 1 { state.firstEnd = now }
            state.lastEnd = now
            if state.ended == total / 10 { state.commandsAt10 = commands() }
            if state.ended == total * 9 / 10 { state.commandsAt90 = commands() }
        }
    }
}
