import ChildProcesses
import Foundation

/// The built `job-processor` binary, run as a user would.
public enum CommandLineTool {
    /// How a run ended: its exit status and what it wrote.
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The binary beside the test bundle in the build folder.
    public static var executable: URL { ChildProcess.built("job-processor") }

    /// Runs the tool to completion and returns its status and output.
    /// - Parameters:
    ///   - input: what the tool reads on standard input, at most 64 KiB (a pipe's buffer); with
    ///     none, standard input is `/dev/null`.
    ///   - environment: variables added to this process's.
    public static func run(
        _ arguments: [String], input: Data = Data(), environment: [String: String] = [:]
    ) async throws -> Output {
        let ended = try await ChildProcess.run(
            executable.path, arguments, environment: environment, input: input.isEmpty ? .null : .bytes(input))
        return Output(status: ended.status, stdout: String(decoding: ended.output, as: UTF8.self),
                      stderr: String(decoding: ended.error, as: UTF8.self))
    }

    /// Starts the tool in the background (a worker), its output discarded.
    public static func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess(executable.path, arguments)
    }
}
