import Foundation
import Hummingbird
import Logging
import Queue
import QueueDashboard
import QueueSQLite
import Synchronization

/// A dashboard served on a free loopback port over a fresh SQLite store, for one test.
final class ServedDashboard: Sendable {
    let store: SQLiteJobStore
    let client: JobClient
    let port: Int
    private let path: String
    private let server: Task<Void, any Error>

    static func start(_ options: JobDashboard.Options = .init(), host: String = "127.0.0.1") async throws -> ServedDashboard {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID()).sqlite").path
        var logger = Logger(label: "dashboard-test")
        logger.logLevel = .warning
        let store = try SQLiteJobStore(path: path, logger: logger)
        try await store.prepare()
        let client = JobClient(store: store, logger: logger)
        let dashboard = JobDashboard(client: client, options: DashboardServer.options(options, servedOn: host))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task {
            try await DashboardServer.run(dashboard, host: host, port: 0, logger: logger) { continuation.yield($0) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the dashboard did not start") }
        return ServedDashboard(store: store, client: client, port: port, path: path, server: server)
    }

    private init(store: SQLiteJobStore, client: JobClient, port: Int, path: String, server: Task<Void, any Error>) {
        self.store = store
        self.client = client
        self.port = port
        self.path = path
        self.server = server
    }

    /// One request to the dashboard, on a connection of its own.
    func request(_ target: String, headers: [String: String] = [:], readingUntil marker: String? = nil) async throws -> RawHTTP.Response {
        try await request("GET", target, headers: headers, readingUntil: marker)
    }

    /// One request with `method` to the dashboard, on a connection of its own.
    func request(
        _ method: String, _ target: String, headers: [String: String] = [:], body: String = "",
        readingUntil marker: String? = nil
    ) async throws -> RawHTTP.Response {
        var headers = headers
        if headers["Host"] == nil { headers["Host"] = "127.0.0.1:\(port)" }
        return try await RawHTTP.send(port: port, method: method, target: target, headers: headers, body: body, until: marker)
    }

    deinit {
        server.cancel()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}

/// HTTP/1.1 over a plain socket: every header as given (`Host` and `Origin` included, which
/// higher-level clients set themselves), redirects not followed, the connection closed after
/// one response.
enum RawHTTP {
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// Sends one request and reads the response until the server closes the connection, or,
    /// with `marker`, until the bytes read hold it (for a stream that does not end).
    static func send(
        port: Int, method: String, target: String, headers: [String: String], body: String, until marker: String? = nil
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try sendBlocking(port: port, method: method, target: target, headers: headers, body: body, until: marker)
                })
            }.start()
        }
    }

    private static func sendBlocking(
        port: Int, method: String, target: String, headers: [String: String], body: String, until marker: String?
    ) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect to port \(port) failed") }
        var text = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw TestFailure("write failed") }
            sent += written
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
            if let marker, String(decoding: received, as: UTF8.self).contains(marker) { break }
        }
        return try parse(received)
    }

    private static func parse(_ bytes: [UInt8]) throws -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no response head in \(text.prefix(200))") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(lines[0])") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = String(text[split.upperBound...])
        if headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1 == "chunked" }) { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var body = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let utf8 = rest[start...].utf8
            let end = utf8.index(utf8.startIndex, offsetBy: min(size, utf8.count))
            body += String(rest[start..<end])
            rest = rest[end...].dropFirst(2)
        }
        return body
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
