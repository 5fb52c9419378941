import ChildProcesses
import Foundation

/// A MongoDB test server of a test's own (`scripts/mongo-test-server`, the emulator), keeping its
/// data in an SQLite file so that it can be SIGKILLed and started again on the same port with
/// the same data: an outage a test controls. Used from the test's own task only.
public final class MongoTestServerProcess {
    /// The folder holding Package.swift.
    public static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
              directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory
    }()

    public let port: Int
    public let dataFile: String
    private var process: ChildProcess?

    /// Starts a server on a free loopback port and waits until it answers.
    public init() async throws {
        port = try Self.freePort()
        dataFile = FileManager.default.temporaryDirectory.appendingPathComponent("mongo-outage-\(UUID()).sqlite").path
        try await start()
    }

    /// The connection string, with short timeouts so that a worker notices the outage quickly.
    public var uri: String {
        "mongodb://127.0.0.1:\(port)/?directConnection=true&serverSelectionTimeoutMS=1000&connectTimeoutMS=1000&socketTimeoutMS=5000"
    }

    /// Starts the server again (after ``kill()``) on the same port and data.
    public func start() async throws {
        process = try ChildProcess(
            Self.packageRoot.appendingPathComponent("scripts/mongo-test-server").path,
            ["--port", "\(port)", "--sqlite", dataFile])
        try await eventually("the MongoDB test server on port \(port)", timeout: .seconds(60)) {
            Self.accepts(port) ? () : nil
        }
    }

    /// SIGKILLs the server: every connection drops at once, nothing is flushed by it.
    public func kill() async throws {
        guard let process else { return }
        process.send(SIGKILL)
        try await eventually("the MongoDB test server to exit") { process.isRunning ? nil : () }
        self.process = nil
    }

    deinit {
        process?.send(SIGKILL)
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: dataFile + suffix) }
    }

    /// Whether something accepts TCP connections on loopback `port`.
    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A port the kernel picks as free on loopback.
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
