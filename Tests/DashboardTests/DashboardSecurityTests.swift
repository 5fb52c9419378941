import Foundation
import Queue
import QueueDashboard
import QueueTestSupport
import Testing

/// The dashboard's security rules over real HTTP: token, same origin, anti-forgery key,
/// read-only mode, allowed host names and escaping (the browser tests prove that escaped
/// markup runs no script: scripts/browser-tests).
@Suite("Dashboard security")
struct DashboardSecurityTests {
    @Test func bindingBeyondLoopbackWithoutATokenIsRefused() throws {
        #expect(throws: DashboardServer.Refusal.self) { try DashboardServer.check(host: "0.0.0.0", token: nil) }
        #expect(throws: DashboardServer.Refusal.self) { try DashboardServer.check(host: "192.0.2.7", token: nil) }
        #expect(throws: DashboardServer.Refusal.self) { try DashboardServer.check(host: "0.0.0.0", token: "") }
        try DashboardServer.check(host: "0.0.0.0", token: "s3cret")
        try DashboardServer.check(host: "127.0.0.1", token: nil)
        try DashboardServer.check(host: "::1", token: nil)
    }

    @Test func theCommandRefusesToStartBeyondLoopbackWithoutAToken() async throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("refused-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: store) }
        let output = try await CommandLineTool.run(
            ["dashboard", "--host", "0.0.0.0", "--port", "0", "--store", "sqlite:\(store)"],
            environment: ["JOB_PROCESSOR_DASHBOARD_TOKEN": ""])
        #expect(output.status != 0)
        #expect(output.stderr.contains("needs a token"), "stderr: \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store), "nothing opened before the refusal")
    }

    @Test func everyRequestNeedsTheTokenOnceOneIsSet() async throws {
        let served = try await ServedDashboard.start(.init(token: "s3cret-token"))
        for path in ["/", "/jobs", "/crons", "/events", "/assets/dashboard.js", "/jobs/0123456789abcdef01234567"] {
            let response = try await served.request(path)
            #expect(response.status == 401, "\(path) without the token")
            #expect(!response.body.contains("Overview"))
        }
        #expect(try await served.request("/", headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await served.request("/", headers: ["Authorization": "Bearer s3cret-token"]).status == 200)
        #expect(try await served.request("/?token=wrong").status == 401)

        let login = try await served.request("/jobs?status=finished&token=s3cret-token")
        #expect(login.status == 303)
        #expect(login.header("Location") == "/jobs?status=finished", "the token leaves the URL")
        let cookie = try #require(login.header("Set-Cookie"))
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(!cookie.contains("s3cret-token"), "the cookie holds a session key, not the token")
        let session = String(cookie.split(separator: ";")[0])
        let page = try await served.request("/jobs?status=finished", headers: ["Cookie": session])
        #expect(page.status == 200)
        #expect(page.body.contains("<h1>Jobs</h1>"))
    }

    @Test func actionsNeedTheTokenTheSameOriginAndTheFormKey() async throws {
        let served = try await ServedDashboard.start(.init(token: "s3cret-token"))
        let job = try await served.client.schedule("demo.block", payload: ["ms": 60_000], at: Date().addingTimeInterval(3600))
        let auth = ["Authorization": "Bearer s3cret-token"]
        let page = try await served.request("/jobs/\(job.id)", headers: auth)
        let key = try #require(Self.formKey(in: page.body))
        let origin = "http://127.0.0.1:\(served.port)"
        let form = ["Content-Type": "application/x-www-form-urlencoded"]

        var response = try await served.request("POST", "/jobs/\(job.id)/kill", headers: form.merging(["Origin": origin]) { $1 }, body: "key=\(key)")
        #expect(response.status == 401, "no token")
        response = try await served.request("POST", "/jobs/\(job.id)/kill", headers: auth.merging(form) { $1 }, body: "key=\(key)")
        #expect(response.status == 403, "no Origin")
        response = try await served.request(
            "POST", "/jobs/\(job.id)/kill", headers: auth.merging(form) { $1 }.merging(["Origin": "http://evil.example"]) { $1 },
            body: "key=\(key)")
        #expect(response.status == 403, "another origin")
        response = try await served.request(
            "POST", "/jobs/\(job.id)/kill", headers: auth.merging(form) { $1 }.merging(["Origin": origin]) { $1 }, body: "key=wrong")
        #expect(response.status == 403, "a wrong form key")
        #expect(try await served.store.job(id: job.id)?.status == .pending, "nothing was killed")

        response = try await served.request(
            "POST", "/jobs/\(job.id)/kill", headers: auth.merging(form) { $1 }.merging(["Origin": origin]) { $1 }, body: "key=\(key)")
        #expect(response.status == 303)
        #expect(response.header("Location") == "/jobs/\(job.id)")
        #expect(try await served.store.job(id: job.id)?.status == .killed)

        response = try await served.request(
            "POST", "/jobs/\(job.id)/rerun", headers: auth.merging(form) { $1 }.merging(["Origin": origin]) { $1 }, body: "key=\(key)")
        #expect(response.status == 303)
        let copyId = try #require(response.header("Location").flatMap { ObjectId(String($0.split(separator: "/").last ?? "")) })
        let copy = try #require(try await served.store.job(id: copyId))
        #expect(copy.name == "demo.block" && copy.payload == job.payload && copy.status == .pending)
    }

    @Test func aReadOnlyDashboardShowsNoActionAndRoutesNone() async throws {
        let served = try await ServedDashboard.start(.init(readOnly: true))
        let job = try await served.client.schedule("demo.block", payload: ["ms": 60_000], at: Date().addingTimeInterval(3600))
        let page = try await served.request("/jobs/\(job.id)")
        #expect(page.status == 200)
        #expect(!page.body.contains("<form method=\"post\""))
        let origin = "http://127.0.0.1:\(served.port)"
        let response = try await served.request("POST", "/jobs/\(job.id)/kill", headers: ["Origin": origin], body: "key=x")
        #expect(response.status == 404 || response.status == 405)
        #expect(try await served.store.job(id: job.id)?.status == .pending)
    }

    @Test func withoutATokenOnLoopbackOnlyLoopbackHostNamesAreAnswered() async throws {
        let served = try await ServedDashboard.start()
        #expect(try await served.request("/", headers: ["Host": "evil.example:\(served.port)"]).status == 421)
        #expect(try await served.request("/", headers: ["Host": "127.0.0.1:\(served.port)"]).status == 200)
        #expect(try await served.request("/", headers: ["Host": "localhost:\(served.port)"]).status == 200)
    }

    @Test func pagesForbidInlineScriptsFramingAndSniffing() async throws {
        let served = try await ServedDashboard.start()
        let response = try await served.request("/")
        let policy = try #require(response.header("Content-Security-Policy"))
        #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
        #expect(policy.contains("frame-ancestors 'none'"))
        #expect(response.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func namesPayloadsAndErrorsFromTheStoreAreEscapedOnEveryPage() async throws {
        let served = try await ServedDashboard.start(.init(jobNames: [Self.hostile]))
        let job = try await served.client.schedule(Self.hostile, payload: ["note": .string(Self.hostile), Self.hostile: 1])
        let scope = ClaimScope(workerId: ObjectId(), names: [Self.hostile])
        _ = try await served.store.claim(scope, now: Date())
        _ = try await served.store.finish(job.id, by: scope.workerId, as: .errored, output: JobOutput(error: Self.hostile), at: Date())
        for path in ["/", "/jobs", "/jobs?name=\(HTMLQuery.encode(Self.hostile))", "/jobs/\(job.id)"] {
            let page = try await served.request(path)
            #expect(page.status == 200, "\(path)")
            #expect(!page.body.contains("<script>alert"), "\(path) holds a raw <script>")
            #expect(!page.body.contains("<img src=x"), "\(path) holds a raw <img>")
            #expect(!page.body.contains("\"><img"), "\(path) breaks out of an attribute")
        }
        let page = try await served.request("/jobs/\(job.id)")
        #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.body.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"))
    }

    static let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>"

    /// The anti-forgery key of the first action form in `html`.
    static func formKey(in html: String) -> String? {
        guard let range = html.range(of: "name=\"key\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}

enum HTMLQuery {
    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}
