import ChildProcesses
import Foundation
import QueueTestSupport
import Synchronization

extension ChildProcess {
    /// Waits for the process to exit without blocking a cooperative thread.
    func exited(timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("process \(pid) to exit", timeout: timeout) { !isRunning }
    }
}

/// A temporary SQLite store path for one test, removed with its WAL files.
struct TemporaryStore {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID()).sqlite").path
    var option: String { "sqlite:\(path)" }

    func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tool started in the background whose standard output is read line by line as it comes
/// (on a thread of its own), for tests that wait for what it prints (a port, say).
final class RunningTool: Sendable {
    let process: ChildProcess
    /// The lines read so far, shared with the reading thread.
    private final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }
    private let lines = Lines()

    init(_ arguments: [String]) throws {
        process = try ChildProcess(CommandLineTool.executable.path, arguments, output: .pipe)
        let handle = process.standardOutput!  // a pipe was asked for
        let lines = lines
        Thread {
            var pending = Data()
            while case let chunk = handle.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lines.value.withLock { $0.append(line) }
                }
            }
        }.start()
    }

    /// The first line printed that starts with `prefix`, without the prefix; waits for it.
    func line(startingWith prefix: String, timeout: Duration = .seconds(60)) async throws -> String {
        var found: String?
        try await waitUntil("a line starting with \(prefix)", timeout: timeout) {
            found = lines.value.withLock { $0.first { $0.hasPrefix(prefix) } }
            return found != nil || !process.isRunning
        }
        guard let found else { throw CLITestError("the tool exited without printing \(prefix)") }
        return String(found.dropFirst(prefix.count))
    }

    /// Sends SIGTERM and waits for the exit.
    func stop() async throws {
        process.send(SIGTERM)
        try await process.exited()
    }
}
