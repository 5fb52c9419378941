// Queue benchmarks: `swift run -c release QueueBenchmark <subcommand>` (see perf/README.md).
// Each subcommand prints its figures as text, then one line `RESULT <json>` for perf/run.
import ArgumentParser

@main
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Throughput, latency, precision and recovery figures of the job processor.",
        subcommands: [
            EngineBenchmark.self, SQLiteBenchmark.self, MongoBenchmark.self, PrecisionBenchmark.self,
            CrashBenchmark.self, BenchmarkWorker.self,
        ])
}
