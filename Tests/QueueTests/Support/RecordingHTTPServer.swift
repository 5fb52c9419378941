import Foundation
import Glibc
import Synchronization

/// One HTTP request as ``RecordingHTTPServer`` received it.
struct RecordedRequest: Sendable {
    let method: String
    /// The request target, query included (`/api/42/cron/slug/key/`).
    let path: String
    /// Header values by lowercased name.
    let headers: [String: String]
    let body: Data

    /// The body parsed as a JSON object, or nil.
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (a free port), for tests of HTTP clients: it records
/// every request (method, path, headers, `Content-Length` body) and answers each with `status`
/// and `Connection: close`; with `status` nil it reads requests and never answers, until
/// ``stop()``, to test client timeouts. One background thread serves connections one at a time.
/// A request is recorded before it is answered, so once a client has its answer, ``requests``
/// holds the request.
final class RecordingHTTPServer: Sendable {
    /// The state the serving thread and the test share.
    private struct State {
        var requests: [RecordedRequest] = []
        var stopped = false
        var threadExited = false
        /// Connections left unanswered (`status` nil), closed by `stop()`.
        var heldClients: [Int32] = []
    }

    let port: UInt16
    private let listener: Int32
    private let state = Mutex(State())

    init(status: Int? = 202) throws {
        (listener, port) = try Self.bindLoopback(listen: true)
        let thread = Thread { [self] in serve(status: status) }
        thread.name = "RecordingHTTPServer"
        thread.start()
    }

    /// The requests received so far, in arrival order.
    var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// Stops accepting and closes held connections; the thread then exits. Idempotent.
    /// The listener is shut down under the lock, so the thread never closes it first.
    func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            if state.threadExited { close(listener) } else { shutdown(listener, Int32(SHUT_RDWR)) }
            state.heldClients.forEach { _ = close($0) }
            state.heldClients = []
        }
    }

    private func serve(status: Int?) {
        while !state.withLock({ $0.stopped }) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard let request = Self.readRequest(client) else { close(client); continue }
            state.withLock { $0.requests.append(request) }
            guard let status else {
                let held = state.withLock { state in
                    if !state.stopped { state.heldClients.append(client) }
                    return !state.stopped
                }
                if !held { close(client) }
                continue
            }
            Self.send(client, "HTTP/1.1 \(status) Recorded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            close(client)
        }
        state.withLock { state in
            state.threadExited = true
            if state.stopped { close(listener) }
        }
    }

    /// Reads one request: the head up to the blank line, then `Content-Length` bytes of body
    /// (answering `Expect: 100-continue` first). Nil when the client closes or stalls early.
    private static func readRequest(_ fd: Int32) -> RecordedRequest? {
        var buffer = Data()
        let separator = Data("\r\n\r\n".utf8)
        var headEnd: Range<Data.Index>?
        while headEnd == nil {
            guard buffer.count < 1 << 20, receive(fd, into: &buffer) else { return nil }
            headEnd = buffer.range(of: separator)
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        if headers["expect"]?.lowercased() == "100-continue" { send(fd, "HTTP/1.1 100 Continue\r\n\r\n") }
        var body = Data(buffer[headEnd.upperBound...])
        while body.count < length {
            guard receive(fd, into: &body) else { return nil }
        }
        return RecordedRequest(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
            body: body.prefix(length))
    }

    /// Appends what `fd` has to `data`; false at end of stream, on error or on timeout.
    private static func receive(_ fd: Int32, into data: inout Data) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            data.append(contentsOf: chunk[..<count])
            return true
        }
    }

    private static func send(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening or not.
    static func bindLoopback(listen shouldListen: Bool) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket", errno: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && getsockname(fd, address, &length) == 0
            }
        }
        guard bound, !shouldListen || listen(fd, 16) == 0 else {
            let error = SocketError(call: "bind/listen", errno: errno)
            close(fd)
            throw error
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }
}

/// A loopback port with nothing listening: bound (so no one else takes it) but not listening,
/// so connecting is refused at once.
final class ClosedPort: Sendable {
    let port: UInt16
    private let fd: Int32

    init() throws { (fd, port) = try RecordingHTTPServer.bindLoopback(listen: false) }
    deinit { close(fd) }
}

/// A socket call of the test server failed.
struct SocketError: Error, CustomStringConvertible {
    let call: String
    let errno: Int32
    var description: String { "\(call) failed: \(String(cString: strerror(errno)))" }
}
