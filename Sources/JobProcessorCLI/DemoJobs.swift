import Foundation
import Queue
import QueueMongo
import QueueSQLite
import Synchronization

/// The built-in demo job set (README, "Demo jobs"), run by `demo` and `worker`:
///
/// | name | payload | does |
/// | --- | --- | --- |
/// | `demo.echo` | any object | returns its payload as its result |
/// | `demo.sleep` | `{"ms": N}` | waits N ms; resumable; honours cancellation |
/// | `demo.block` | `{"ms": N}` | waits N ms; not resumable; honours cancellation |
/// | `demo.fail` | `{"message": "..."}` | throws that message |
/// | `demo.cpu` | `{"iterations": N}` | CPU-bound loop on the Dispatch pool |
/// | cron `demo.tick` | — | every 10 seconds, returns the tick time |
enum DemoJobs {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The demo job names and each one's concurrency: what scheduling needs, without handlers.
    static let modes: [String: ConcurrencyMode] = jobs().mapValues(\.concurrency)

    /// The demo names, sorted, for messages.
    static var names: String { modes.keys.sorted().joined(separator: ", ") }

    /// The job definitions; `trace` (when given) is told each job as its handler starts, and
    /// `onExit` each job as it ends.
    static func jobs(
        trace: (@Sendable (Job) -> Void)? = nil, onExit: JobDefinition.ExitHandler? = nil
    ) -> [String: JobDefinition] {
        let wait: JobDefinition.Handler = { job, signal in
            trace?(job)
            let ms = job.payload?["ms"]?.intValue ?? 1_000
            try await Task.sleep(for: .milliseconds(max(0, ms)))
            try signal.checkCancellation()
            return ["slept_ms": BSON(ms)]
        }
        var jobs: [String: JobDefinition] = [
            "demo.echo": JobDefinition { job, _ in
                trace?(job)
                return job.payload.map { .document($0) } ?? .null
            },
            "demo.sleep": JobDefinition(resumable: true, handler: wait),
            "demo.block": JobDefinition(handler: wait),
            "demo.fail": JobDefinition { job, _ in
                trace?(job)
                throw Failure(description: job.payload?["message"]?.stringValue ?? "demo.fail failed, as asked")
            },
            "demo.cpu": .cpuBound { job, signal in
                trace?(job)
                let iterations = job.payload?["iterations"]?.intValue ?? 1_000_000
                var state: UInt64 = 0x9E37_79B9_7F4A_7C15
                for index in 0..<max(0, iterations) {
                    if index & 0xFFFF == 0 { try signal.checkCancellation() }
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                }
                return ["checksum": .int64(Int64(bitPattern: state))]
            },
        ]
        for name in jobs.keys { jobs[name]?.onJobExited = onExit }
        return jobs
    }

    /// The demo crons.
    static func crons(trace: (@Sendable (Job) -> Void)? = nil) -> [String: CronDefinition] {
        ["demo.tick": CronDefinition("*/10 * * * * *") { _, task in
            trace?(task)
            return .date(task.scheduledFor)
        }]
    }
}

/// Appends `run <job id> <name>` lines to a file, one write each (O_APPEND), so that tests can
/// check that every job ran exactly once across worker processes (`worker --trace-file`).
struct TraceFile: Sendable {
    let path: String

    func record(_ job: Job) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array("run \(job.id) \(job.name)\n".utf8)
        _ = write(fd, line, line.count)
    }
}
