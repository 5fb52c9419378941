import ArgumentParser
import Foundation
import GRDB
import Logging
import Queue
import QueueDashboard
import QueueSQLite

/// Benchmark 8, the dashboard's overview on a large store: a SQLite file holding `--jobs` jobs
/// (finished and errored ones ended over the last hour, a backlog of pending ones, some running
/// on two registered workers, a cron), the dashboard served on loopback in this process, and
/// `--requests` sequential `GET /` over HTTP, each on a new connection; latency = request sent
/// → response read whole.
struct DashboardBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dashboard", abstract: "The overview's latency on a large SQLite store.")

    @Option(help: "Jobs in the store.") var jobs = 200_000
    @Option(help: "Overview requests measured (after 20 unmeasured).") var requests = 300
    @Option(help: "Directory for the store (a temporary one by default).") var directory: String?
    @Option(help: "Keep the store at this path instead of deleting it (to inspect its query plans).") var keep: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let folder = directory ?? FileManager.default.temporaryDirectory.path
        let path = keep ?? (folder as NSString).appendingPathComponent("dashboard-bench-\(UUID()).sqlite")
        defer { if keep == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        let store = try SQLiteJobStore(path: path, logger: logger)
        try await store.prepare()
        let filled = monotonicSeconds()
        let workers = try await Self.fill(path: path, store: store, jobs: jobs)
        print(String(format: "dashboard: %d jobs stored in %.1f s", jobs, monotonicSeconds() - filled))

        let names = ["mail", "export", "thumbnail", "report"]
        let options = DashboardServer.options(JobDashboard.Options(jobNames: names), servedOn: "127.0.0.1")
        let dashboard = JobDashboard(client: JobClient(store: store, logger: logger), options: options)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await DashboardServer.run(dashboard, host: "127.0.0.1", port: 0, logger: logger) { continuation.yield($0) } }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the dashboard did not start") }

        var latencies: [Double] = []
        var bytes = 0
        for index in 0..<(requests + 20) {
            let started = monotonicSeconds()
            let response = try await LoopbackGet.fetch(port: port, path: "/")
            let elapsed = monotonicSeconds() - started
            guard response.hasPrefix("HTTP/1.1 200") else { throw ValidationError("GET / answered \(response.prefix(40))") }
            if index >= 20 { latencies.append(elapsed) }
            bytes = response.utf8.count
        }
        let samples = Samples(latencies)
        print(String(format: "dashboard overview on %d jobs (%d workers): p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d bytes",
                     jobs, workers, samples.percentile(50) * 1e3, samples.percentile(99) * 1e3, samples.max * 1e3, bytes))
        try emit([
            "benchmark": "dashboard", "jobs": jobs, "requests": requests, "p50_ms": samples.percentile(50) * 1e3,
            "p99_ms": samples.percentile(99) * 1e3, "max_ms": samples.max * 1e3,
        ])
    }

    /// Writes `count` jobs in one transaction, as the store lays them out: 75% finished and 10%
    /// errored (ended over the last hour, a quarter of an hour's worth of them in its last
    /// minutes), 10% pending, the rest running on two registered workers, killed or skipped;
    /// and the cron `nightly`. Returns the number of workers.
    static func fill(path: String, store: SQLiteJobStore, jobs count: Int) async throws -> Int {
        let now = Date()
        let workers = [ObjectId(), ObjectId()]
        for worker in workers {
            try await store.registerWorker(WorkerRecord(id: worker, hostname: "bench-\(worker)", tags: nil, lastSeen: now))
        }
        _ = try await store.syncCrons([CronRecord(name: "nightly", cronString: "30 2 * * *", scheduledFor: now.addingTimeInterval(3600))], at: now)
        let pool = try DatabasePool(path: path)
        let names = ["mail", "export", "thumbnail", "report"]
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        try await pool.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO jobs (id, name, type, status, scheduled_for, started_at, ended_at, updated_at, created_at, worker_id, sync, concurrency_mode)
                VALUES (?, ?, 'simple', ?, ?, ?, ?, ?, ?, ?, 0, 'concurrent')
                """)
            var random = SystemRandomNumberGenerator()
            for index in 0..<count {
                let slot = index % 100
                let status: String
                switch slot {
                case 0..<75: status = "finished"
                case 75..<85: status = "errored"
                case 85..<95: status = "pending"
                case 95..<97: status = "running"
                case 97..<99: status = "killed"
                default: status = "skipped"
                }
                // Created over the last hour and a half; ended jobs end 0.5–2 s after their due time.
                let created = nowMilliseconds - Int64(count - index) * 5_400_000 / Int64(count)
                let started: Int64? = ["finished", "errored", "running", "killed"].contains(status)
                    ? created + Int64.random(in: 5...400, using: &random) : nil
                let ended: Int64? = ["finished", "errored", "killed"].contains(status) ? started.map { $0 + 500 + Int64(slot) * 15 }
                    : status == "skipped" ? created : nil
                try statement.execute(arguments: [
                    ObjectId().description, names[index % names.count], status, created, started, ended, ended ?? created, created,
                    status == "running" ? workers[index % 2].description : nil,
                ])
            }
        }
        try pool.close()
        return workers.count
    }
}

/// `GET path` over a new loopback connection, read until the server closes it.
enum LoopbackGet {
    static func fetch(port: Int, path: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try fetchBlocking(port: port, path: path) }) }.start()
        }
    }

    private static func fetchBlocking(port: Int, path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ValidationError("connect failed") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { throw ValidationError("write failed") }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
