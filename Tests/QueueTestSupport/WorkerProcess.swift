import ChildProcesses
import Foundation

/// A `QueueTestWorker` process started by a test: the real binary, signalled for real.
/// Used from the test's own task only.
public final class WorkerProcess {
    private let process: ChildProcess
    public let label: String

    /// The built worker binary, beside the test bundle in the build folder.
    public static var executable: URL { ChildProcess.built("QueueTestWorker") }

    /// Starts a worker on `database` that records into `record`.
    /// `environment` is added to this process's own (e.g. `MONGODB_URI` for another server).
    public init(
        label: String, database: String, record: String, tags: [String]? = nil, concurrency: Int = 8, cron: Bool = false,
        environment: [String: String] = [:], sqlite: String? = nil
    ) throws {
        self.label = label
        var arguments = ["--database", database, "--label", label, "--record", record, "--concurrency", "\(concurrency)"]
        if let tags { arguments += ["--tags", tags.joined(separator: ",")] }
        if cron { arguments += ["--cron", "yes"] }
        if let sqlite { arguments += ["--sqlite", sqlite] }
        process = try ChildProcess(Self.executable.path, arguments, environment: environment, error: .inherit)
    }

    public var pid: Int32 { process.pid }

    /// Sends `signal` (SIGTERM, SIGKILL...) to the process.
    public func send(_ signal: Int32) { process.send(signal) }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await eventually("worker \(label) to exit", timeout: timeout) {
            process.status
        }
    }

}

/// The lines the workers of one test append (see Tests/QueueTestWorker/main.swift).
public struct RecordLines {
    public let path: String

    public init(path: String) { self.path = path }

    public static func temporary() -> RecordLines {
        RecordLines(path: FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID()).txt").path)
    }

    public var lines: [String] { ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    /// `run` lines as (label, job id, name).
    public var runs: [(label: String, jobId: String, name: String)] {
        lines.compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            return parts.count == 4 && parts[0] == "run" ? (parts[1], parts[2], parts[3]) : nil
        }
    }

    /// `tick` lines as (label, task id, when the handler started).
    public var ticks: [(label: String, taskId: String, at: Date)] {
        lines.compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count == 4, parts[0] == "tick", let ms = Double(parts[3]) else { return nil }
            return (parts[1], parts[2], Date(timeIntervalSince1970: ms / 1000))
        }
    }

    /// `exit` lines as (label, job id, status).
    public var exits: [(label: String, jobId: String, status: String)] {
        lines.compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            return parts.count == 4 && parts[0] == "exit" ? (parts[1], parts[2], parts[3]) : nil
        }
    }

    /// Worker ids by label, from the `worker` lines.
    public var workers: [String: String] {
        Dictionary(lines.compactMap { line in
            let parts = line.split(separator: " ").map(String.init)
            return parts.count == 3 && parts[0] == "worker" ? (parts[1], parts[2]) : nil
        }, uniquingKeysWith: { $1 })
    }
}
