import Dispatch
import Glibc
import Testing

@testable import Loop

/// SIGTERM/SIGINT as loop events, with a real `kill(getpid(), …)`.
///
/// A process-directed signal reaches the signalfd only if every thread of the process blocks
/// it; otherwise the kernel hands it to a thread that does not, and the default action kills the
/// process. A real program gets there by calling `EventLoop.blockTerminationSignals()` first in
/// `main`. This test process cannot: the test runner's threads exist before any test code runs,
/// its main thread is parked where no test code can reach it, and the runner clears the main
/// thread's mask at start-up (even a mask inherited through `exec`; checked in
/// `/proc/self/task/*/status`). So the in-process part lives in a tiny executable,
/// `LoopSignalProbe` (Tests/LoopSignalProbe/main.swift), which this test runs as a child
/// process and which must exit with status 0.
@Suite("signals")
struct SignalTests {
    @Test("SIGTERM and SIGINT sent to the process arrive as loop events, in order", arguments: backends)
    func terminationSignalsArriveAsLoopEvents(backend: EventLoop.Backend) throws {
        let probe = try #require(Self.probePath(), "cannot locate the test bundle")
        try #require(access(probe, X_OK) == 0, "LoopSignalProbe not built at \(probe)")
        let output = "/tmp/loop-signal-probe-\(getpid())-\(backend).log"
        defer { unlink(output) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var child = pid_t()
        let spawned = withCStrings([probe, backend.description]) { argv in
            withCStrings(ProcessEnvironment.current) { envp in
                posix_spawn(&child, probe, &actions, nil, argv, envp)
            }
        }
        try #require(spawned == 0, "posix_spawn failed: \(spawned)")

        // Wait for the child on another thread, so that the wait itself has a deadline.
        let exited = Latch()
        let status = Recorder<Int32>()
        let pid = child
        DispatchQueue.global().async {
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
            status.append(raw)
            exited.signal()
        }
        if !exited.wait(timeout: .seconds(30)) {
            kill(pid, SIGKILL)
            _ = exited.wait()
            Issue.record("LoopSignalProbe did not finish in 30 s")
        }
        // WIFEXITED/WEXITSTATUS are macros Swift does not import: "exited with 0" is status 0,
        // and death by signal N (the signal was not blocked everywhere) is status N.
        let raw = status.values.first ?? -1
        #expect(raw == 0, "LoopSignalProbe failed (wait status \(raw)):\n\(contentsOfFile(output))")
    }

    /// The probe executable, built next to the test bundle.
    private static func probePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let bundle = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = bundle.lastIndex(of: "/") else { return nil }
        return bundle[..<slash] + "/LoopSignalProbe"
    }
}

/// The environment of this process as `NAME=value` strings.
enum ProcessEnvironment {
    static var current: [String] {
        var result: [String] = []
        var cursor = environ
        while let entry = cursor.pointee {
            result.append(String(cString: entry))
            cursor += 1
        }
        return result
    }
}

/// The text of the file at `path`, or a note that it cannot be read.
func contentsOfFile(_ path: String) -> String {
    guard let file = fopen(path, "r") else { return "(cannot read \(path))" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4_096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        guard count > 0 else { break }
        bytes += buffer[0..<count]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Calls `body` with a NULL-terminated C array of `strings`, valid during the call.
private func withCStrings<Result>(
    _ strings: [String],
    _ body: ([UnsafeMutablePointer<CChar>?]) -> Result
) -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
