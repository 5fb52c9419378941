import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor worker`: runs a worker serving the demo job set until SIGTERM or SIGINT,
/// then shuts down gracefully (running jobs interrupted, paused or errored, worker removed).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run a worker for the demo jobs.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The most jobs run at once.")
    var concurrency: Int = 16

    @Option(help: "Comma-separated worker tags (default: take every job).")
    var tags: String?

    @Option(help: "Append `run <id> <name>` to this file as each handler starts (for tests).")
    var traceFile: String?

    func run() async throws {
        try await reportingFailures {
            if let tags { try UserText.requireNoControls(tags, "--tags") }
            let logger = try storeOptions.logger("job-processor.worker")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let trace = traceFile.map(TraceFile.init(path:))
            var configuration = QueueConfiguration(
                store: opened.store, logger: logger, jobs: DemoJobs.jobs(trace: trace?.record),
                crons: DemoJobs.crons(trace: trace?.record),
                workerTags: tags.map { $0.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces)) } })
            configuration.concurrency = concurrency
            configuration.handlesTerminationSignals = true
            let processor = try JobProcessor(configuration)
            print("worker \(processor.workerId) on \(opened.describe); stop with Ctrl-C or SIGTERM")
            try await processor.run()
        }
    }
}
