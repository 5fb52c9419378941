// Queue benchmarks: `swift run -c release QueueBenchmark <subcommand>` (see perf/README.md).
// Each subcommand prints its figures as text, then one line `RESULT <json>` for perf/run.
import ArgumentParser
import Dispatch
import Foundation
import Loop

struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Throughput, latency, precision and recovery figures of the job processor.",
        subcommands: [
            EngineBenchmark.self, SQLiteBenchmark.self, MongoBenchmark.self, PrecisionBenchmark.self,
            CrashBenchmark.self, DashboardBenchmark.self, BenchmarkWorker.self,
        ])
}

/// A `worker` process shuts down gracefully on SIGTERM, which its event loop receives only
/// when the signal is blocked before any thread starts (`EventLoop.runMain`); the other
/// subcommands keep the default handling, so that Ctrl-C stops them.
@main
enum Entry {
    static func main() {
        if CommandLine.arguments.dropFirst().first == "worker" {
            EventLoop.runMain {
                await QueueBenchmark.main()
                return 0
            }
        }
        // The main queue must keep running: Foundation's Process reports child exits there.
        Task {
            await QueueBenchmark.main()
            exit(0)
        }
        dispatchMain()
    }
}
