import Foundation
import Hummingbird
import Logging
import Queue
import QueueDashboard
import Testing

/// The library API: the same pages mounted under a path of an application's own router.
@Suite("Dashboard mounted in an application")
struct DashboardMountTests {
    @Test func thePagesServeUnderTheMountPathBesideTheApplicationsRoutes() async throws {
        let store = MemoryJobStore()
        let client = JobClient(store: store, logger: Logger(label: "test"))
        let job = try await client.schedule("mail", payload: ["to": "a@example.com"])
        let router = Router()
        router.get("health") { _, _ in "ok" }
        JobDashboard(client: client, options: .init(token: "t0ken")).addRoutes(to: router, at: "/admin/jobs")
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await application.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        func get(_ path: String, _ headers: [String: String] = ["Authorization": "Bearer t0ken"]) async throws -> RawHTTP.Response {
            try await RawHTTP.send(port: port, method: "GET", target: path,
                                   headers: headers.merging(["Host": "127.0.0.1:\(port)"]) { $1 }, body: "")
        }

        #expect(try await get("/health", [:]).body == "ok", "the application's own routes need no token")
        let overview = try await get("/admin/jobs")
        #expect(overview.status == 200)
        #expect(overview.body.contains("href=\"/admin/jobs/jobs\"") && overview.body.contains("/admin/jobs/assets/dashboard.js"))
        #expect(overview.body.contains("data-events=\"/admin/jobs/events\""))
        let page = try await get("/admin/jobs/jobs/\(job.id)")
        #expect(page.body.contains("a@example.com"))
        #expect(page.body.contains("action=\"/admin/jobs/jobs/\(job.id)/kill\""))
        #expect(try await get("/admin/jobs/jobs", [:]).status == 401)
        let login = try await get("/admin/jobs?token=t0ken", [:])
        #expect(login.header("Set-Cookie")?.contains("Path=/admin/jobs") == true)
    }
}
