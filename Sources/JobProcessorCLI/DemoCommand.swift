import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// `job-processor demo`: the README's first command. Starts a worker on the store, enqueues a
/// mix of the demo jobs, runs the demo cron, shows live progress on one line, and ends after
/// `--duration` seconds (or Ctrl-C) with a summary table.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Run a worker on a mix of demo jobs.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Seconds to run before shutting down: 1 to 86,400.")
    var duration: Int = 15

    /// The longest `--duration`, a day (said in `--help`): the demo is for watching, and a
    /// longer sleep overflows the clock's nanoseconds.
    static let maximumDuration = 86_400

    @Option(help: "The most jobs run at once.")
    var concurrency: Int = 8

    /// The mix: (name, payload) and how many of each.
    static func mix() -> [(name: String, payload: BSONDocument?, count: Int)] {
        [
            ("demo.echo", ["hello": "world"], 300),
            ("demo.sleep", ["ms": 400], 40),
            ("demo.block", ["ms": 250], 20),
            ("demo.fail", ["message": "this job fails on purpose"], 20),
            ("demo.cpu", ["iterations": 3_000_000], 20),
        ]
    }

    func run() async throws {
        try await reportingFailures {
            guard (1...Self.maximumDuration).contains(duration) else {
                throw CommandFailure("--duration \(duration): expected 1 to \(Self.maximumDuration) seconds")
            }
            guard concurrency >= 1 else { throw CommandFailure("--concurrency \(concurrency): expected at least 1") }
            let logger = try storeOptions.logger("job-processor.demo")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let progress = DemoProgress()
            var configuration = QueueConfiguration(
                store: opened.store, logger: logger, jobs: DemoJobs.jobs(onExit: { progress.ended($0) }),
                crons: DemoJobs.crons())
            configuration.concurrency = concurrency
            configuration.handlesTerminationSignals = true
            let processor = try JobProcessor(configuration)

            print("demo: a worker on \(opened.describe), concurrency \(concurrency), for \(duration) s (Ctrl-C stops early)")
            var ids: [ObjectId] = []
            for (name, payload, count) in Self.mix() {
                for _ in 0..<count { ids.append(try await processor.schedule(name, payload: payload).id) }
            }
            progress.begin(total: ids.count)
            let started = ContinuousClock.now
            let worker = Task { try await processor.run() }
            let ticker = Task {
                while !Task.isCancelled {
                    progress.show(elapsed: ContinuousClock.now - started)
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            let timer = Task {
                try await Task.sleep(for: .seconds(duration))
                processor.stop()
            }
            try await worker.value
            timer.cancel()
            ticker.cancel()
            progress.show(elapsed: ContinuousClock.now - started, final: true)
            print(try await Self.summary(of: ids, in: opened.store, elapsed: ContinuousClock.now - started))
        }
    }

    /// Counts by name and status of the demo's jobs, from the store.
    static func summary(of ids: [ObjectId], in store: any JobStore, elapsed: Duration) async throws -> String {
        let names = Self.mix().map(\.name)
        let statuses: [JobStatus] = [.finished, .errored, .killed, .paused, .running, .pending]
        let mine = Set(ids)
        var rows: [[String]] = []
        var done = 0
        for name in names {
            let jobs = try await store.jobs(matching: JobQuery(names: [name], limit: 10_000)).filter { mine.contains($0.id) }
            let counts = statuses.map { status in jobs.filter { $0.status == status }.count }
            done += counts[0] + counts[1] + counts[2]
            rows.append([name] + counts.map(String.init))
        }
        let ticks = try await store.jobs(matching: JobQuery(names: ["demo.tick"], types: [.cronTask], limit: 100))
        let seconds = elapsed.timeInterval
        return "\nSummary\n" + Table.render(["JOB", "FINISHED", "ERRORED", "KILLED", "PAUSED", "RUNNING", "PENDING"], rows)
            + "\n\n\(done) of \(ids.count) jobs ended in \(String(format: "%.1f", seconds)) s"
            + " (\(String(format: "%.0f", Double(done) / max(seconds, 0.001))) jobs/s); demo.tick cron tasks so far: \(ticks.count)"
    }
}

/// The live progress line: jobs ended of the total, rate, errors.
final class DemoProgress: Sendable {
    private struct Counts {
        var total = 0
        var ended = 0
        var errors = 0
        /// When the jobs were all stored, and when the last one ended: the rate is measured
        /// between the two, not over enqueueing or idle time.
        var start = ContinuousClock.now
        var lastEnd: ContinuousClock.Instant?
    }

    private let counts = Mutex(Counts())
    private let interactive = isatty(STDOUT_FILENO) == 1

    /// Starts counting `total` jobs, now.
    func begin(total: Int) {
        counts.withLock { counts in
            counts.total = total
            counts.start = .now
        }
    }

    func ended(_ job: Job) {
        counts.withLock { counts in
            if job.type == .simple {
                counts.ended += 1
                counts.lastEnd = .now
            }
            if job.status == .errored { counts.errors += 1 }
        }
    }

    /// Rewrites the line on a terminal; elsewhere prints it once a second and at the end.
    func show(elapsed: Duration, final: Bool = false) {
        let snapshot = counts.withLock { $0 }
        let seconds = elapsed.timeInterval
        let busy = snapshot.lastEnd.map { ($0 - snapshot.start).timeInterval } ?? seconds
        let line = String(format: "%d/%d done  %.0f jobs/s  %d errors  %.1f s", snapshot.ended, snapshot.total,
                          Double(snapshot.ended) / max(busy, 0.001), snapshot.errors, seconds)
        if interactive {
            print("\r\u{1B}[2K" + line, terminator: final ? "\n" : "")
            fflush(nil)  // every stream: `stdout` is a C global Swift 6 will not touch
        } else if final || Int(seconds * 4) % 4 == 0 {
            print(line)
        }
    }
}
