import CChildProcess
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A process the tests start (a worker, the command-line tool, a Python script), spawned with
/// `posix_spawn` rather than Foundation's `Process`.
///
/// Why not `Process`: on Linux, `Process.run()` of Swift 6.3 finds the highest open descriptor
/// by copying each `/proc/self/fd` entry's whole 256-byte name field, reading past the end of
/// glibc's directory buffer; once a test process holds about 1,360 descriptors (the parallel
/// suite does), that read can reach an unmapped page and crash the whole test run
/// (swift-corelibs-foundation pull request 5472). Here the child closes every descriptor above
/// 2 itself (`posix_spawn_file_actions_addclosefrom_np`, through the `CChildProcess` shim), without reading that directory.
public final class ChildProcess: Sendable {
    /// What the child reads on standard input.
    public enum Input: Sendable {
        /// `/dev/null`.
        case null
        /// Bytes written whole into a pipe before the child starts, then closed: at most 64 KiB,
        /// what a pipe buffers, so that the write never blocks.
        case bytes(Data)
    }

    /// Where the child's standard output or error goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case null
        /// This process's own (the test run's output).
        case inherit
        /// A pipe this process reads (``standardOutput`` / ``standardError``).
        case pipe
        /// Standard error only: the same pipe or file as standard output (`2>&1`).
        case standardOutput
    }

    /// The process id.
    public let pid: pid_t
    /// The read end of standard output's pipe, when it is ``Output/pipe``.
    public let standardOutput: FileHandle?
    /// The read end of standard error's pipe, when it is ``Output/pipe``.
    public let standardError: FileHandle?
    /// Its label in errors: the executable's path.
    public let executable: String
    /// The exit status once the process has been waited for (see ``status``).
    private let exit = Mutex<Int32?>(nil)

    /// Starts `executable` with `arguments`, in a process group of its own, with the default
    /// signal dispositions and an empty signal mask whatever this thread has.
    /// - Parameter environment: added to this process's own environment.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        input: Input = .null, output: Output = .null, error: Output = .null
    ) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Ends of pipes this process keeps (returned) or closes once the child has its copies.
        var closeAfterSpawn: [Int32] = []
        defer { for fd in closeAfterSpawn { close(fd) } }

        switch input {
        case .null:
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .bytes(let data):
            precondition(data.count <= 65_536, "more input than a pipe buffers")
            let (read, write) = try Self.pipe(executable)
            closeAfterSpawn.append(read)
            let written = data.withUnsafeBytes { Glibc.write(write, $0.baseAddress, $0.count) }
            close(write)
            guard written == data.count else { throw ChildProcessError(executable, "writing its input", errno) }
            posix_spawn_file_actions_adddup2(&actions, read, 0)
        }

        var outputEnd: Int32?
        switch output {
        case .inherit:
            break
        case .null, .standardOutput:
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        case .pipe:
            let (read, write) = try Self.pipe(executable)
            outputEnd = read
            closeAfterSpawn.append(write)
            posix_spawn_file_actions_adddup2(&actions, write, 1)
        }
        var errorEnd: Int32?
        switch error {
        case .inherit:
            break
        case .null:
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        case .standardOutput:
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .pipe:
            let (read, write) = try Self.pipe(executable)
            errorEnd = read
            closeAfterSpawn.append(write)
            posix_spawn_file_actions_adddup2(&actions, write, 2)
        }
        c_child_process_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments).map { strdup($0) }
        let variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") }
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv + [nil], envp + [nil])
        guard spawned == 0 else {
            for fd in [outputEnd, errorEnd].compactMap({ $0 }) { close(fd) }
            throw ChildProcessError(executable, "starting it", spawned)
        }
        pid = child
        standardOutput = outputEnd.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
        standardError = errorEnd.map { FileHandle(fileDescriptor: $0, closeOnDealloc: true) }
    }

    /// A pipe whose two ends close on `exec`, so that no other child started meanwhile holds
    /// them (a write end held elsewhere would keep a reader from ever seeing the end).
    private static func pipe(_ executable: String) throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard c_child_process_pipe_cloexec(&ends) == 0 else { throw ChildProcessError(executable, "creating a pipe", errno) }
        return (ends[0], ends[1])
    }

    /// The exit status, or nil while the process runs: its exit code, or the number of the
    /// signal that ended it (as Foundation's `terminationStatus`). Never blocks.
    public var status: Int32? {
        exit.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = Self.decode(raw) }
            }
            return status
        }
    }

    /// Whether the process has not exited yet.
    public var isRunning: Bool { status == nil }

    /// Sends `signal` (SIGTERM, SIGKILL...) unless the process has been waited for already.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Blocks until the process exits, and returns ``status``. For a thread of its own, never
    /// one of Swift's cooperative threads.
    public func waitForExit() -> Int32 {
        // Waits without reaping (WNOWAIT), so that ``status`` reaps it under its lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
        return status ?? -1
    }

    private static func decode(_ raw: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which are macros Swift does not import.
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : signal
    }

    /// Runs `executable` to completion on a thread of its own (never one of Swift's two
    /// cooperative threads here, which a blocking wait would stall): its status and its standard
    /// output and error. Standard error is read on another thread, so that a child filling
    /// either pipe never blocks.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: Input = .null,
        error: Output = .pipe
    ) async throws -> (status: Int32, output: Data, error: Data) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let child = try ChildProcess(
                        executable, arguments, environment: environment, input: input, output: .pipe, error: error)
                    let errorData = Collected()
                    if let standardError = child.standardError {
                        Thread {
                            errorData.set(standardError.readDataToEndOfFile())
                        }.start()
                    } else {
                        errorData.set(Data())
                    }
                    let output = child.standardOutput?.readDataToEndOfFile() ?? Data()
                    return (child.waitForExit(), output, errorData.wait())
                })
            }.start()
        }
    }

    /// The product `name` of this package, built beside the test bundle: the build folder is
    /// found from the test process's own path, going up until it holds `name`.
    public static func built(_ name: String) -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments.first { $0.contains(".build") } ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(name)
    }

    /// Data read on another thread, handed over once.
    private final class Collected: Sendable {
        private let data = Mutex<Data?>(nil)
        private let ready = DispatchSemaphore(value: 0)

        func set(_ value: Data) {
            data.withLock { $0 = value }
            ready.signal()
        }

        func wait() -> Data {
            ready.wait()
            return data.withLock { $0 } ?? Data()
        }
    }

    deinit {
        // A child left running by a failed test would outlive the run: kill it and reap it.
        if isRunning {
            kill(pid, SIGKILL)
            _ = waitForExit()
        }
    }
}

/// A child process that could not be started or fed, naming the executable, the step and
/// the system's reason.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String

    init(_ executable: String, _ step: String, _ code: Int32) {
        description = "\(executable): \(step) failed: \(String(cString: strerror(code)))"
    }
}
