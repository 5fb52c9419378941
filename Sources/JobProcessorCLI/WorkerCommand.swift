import ArgumentParser
import Foundation
import Metrics
import Prometheus
import Queue
import QueueDashboard
import QueueMongo
import QueueSQLite

/// `job-processor worker`: runs a worker serving the demo job set until SIGTERM or SIGINT,
/// then shuts down gracefully (running jobs interrupted, paused or errored, worker removed).
/// With `--metrics-port`, it also serves its metrics in Prometheus' text format.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run a worker for the demo jobs.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The most jobs run at once.")
    var concurrency: Int = 16

    @Option(help: "Comma-separated worker tags (default: take every job).")
    var tags: String?

    @Option(help: "Append `run <id> <name>` to this file as each handler starts (for tests).")
    var traceFile: String?

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (0: a free port, printed at start).")
    var metricsPort: Int?

    @Option(help: "The address --metrics-port listens on.")
    var metricsHost: String = "127.0.0.1"

    func run() async throws {
        try await reportingFailures {
            if let tags { try UserText.requireNoControls(tags, "--tags") }
            if let metricsPort, !(0...65_535).contains(metricsPort) {
                throw CommandFailure("--metrics-port \(metricsPort): expected 0 to 65535")
            }
            let logger = try storeOptions.logger("job-processor.worker")
            // Before the store opens: the MongoDB command counter takes the backend it finds.
            let registry = metricsPort.map { _ in PrometheusCollectorRegistry() }
            if let registry { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
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
            guard let registry, let metricsPort else { return try await processor.run() }
            let host = metricsHost
            let endpoint = Task {
                do {
                    try await MetricsEndpoint(registry: registry).run(host: host, port: metricsPort, logger: logger) { port in
                        Console.line("metrics: http://\(host):\(port)/metrics")
                    }
                } catch where !Task.isCancelled {
                    // A worker asked for its metrics and not serving them would be watched by no one.
                    CommandFailure.report("--metrics-port \(metricsPort): cannot serve metrics: \(error)")
                    processor.stop()
                }
            }
            defer { endpoint.cancel() }
            try await processor.run()
        }
    }
}
