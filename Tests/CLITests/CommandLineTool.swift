import Foundation
import Synchronization

/// The built `job-processor` binary, run as a user would.
enum CommandLineTool {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The binary beside the test bundle in the build folder.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".build") } ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("job-processor").path),
              directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("job-processor")
    }

    /// Runs the tool to completion and returns its status and output. The blocking reads and
    /// wait happen on a thread of their own: blocking one of Swift's cooperative threads (two
    /// on this machine) for the length of a demo would stall every other test in the process.
    /// - Parameter input: what the tool reads on standard input, at most 64 KiB (a pipe's
    ///   buffer); with none, standard input is `/dev/null`.
    static func run(_ arguments: [String], input: Data = Data()) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try runBlocking(arguments, input: input) }) }.start()
        }
    }

    private static func runBlocking(_ arguments: [String], input: Data) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inputPipe = input.isEmpty ? nil : Pipe()
        if let inputPipe {
            // Written whole before the tool starts, into the pipe's buffer, while this process
            // holds the read end: no write can block or meet a reader that has exited.
            precondition(input.count <= 65_536, "more input than a pipe buffers")
            inputPipe.fileHandleForWriting.write(input)
        }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        try process.run()
        try inputPipe?.fileHandleForWriting.close()  // the end of the input
        // Read before waiting, so that a full pipe never blocks the tool.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Starts the tool in the background (a worker), its output discarded.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

extension Process {
    /// Waits for the process to exit without blocking a cooperative thread.
    func exited(timeout: Duration = .seconds(60)) async throws {
        try await waitUntil("process \(processIdentifier) to exit", timeout: timeout) { !isRunning }
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

/// Checks `condition` every 20 ms until it holds, or fails after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw CLITestError("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

struct CLITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tool started in the background whose standard output is read line by line as it comes
/// (on a thread of its own), for tests that wait for what it prints (a port, say).
final class RunningTool: @unchecked Sendable {  // safe: `process` is only read (isRunning, its pid) after it started; the lines are behind their mutex
    let process: Process
    /// The lines read so far, shared with the reading thread.
    private final class Lines: Sendable {
        let value = Mutex<[String]>([])
    }
    private let lines = Lines()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = CommandLineTool.executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
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
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        try await process.exited()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
