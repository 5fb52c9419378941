import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// The Sentry cron monitor against a local recording HTTP server: the requests it sends, the
/// DSNs it accepts, and failures that are logged and never reach the caller.
@Suite struct CronMonitorTests {
    static let key = "0123456789abcdef0123456789abcdef"
    static let paris = TimeZone(identifier: "Europe/Paris")!

    /// A monitor of the DSN `http://<key>@127.0.0.1:<port>/42`, logging into `records`.
    func monitor(
        port: UInt16, _ records: RecordingLogHandler.Records, timeout: Duration = .seconds(5),
        environment: String? = nil
    ) throws -> SentryCronMonitor {
        let logger = Logger(label: "test.monitor") { _ in RecordingLogHandler(records: records) }
        return try SentryCronMonitor(
            dsn: "http://\(Self.key)@127.0.0.1:\(port)/42", logger: logger, timeout: timeout, environment: environment)
    }

    func checkIn(
        _ status: CronCheckIn.Status, id: UUID, duration: Duration? = nil, margin: Int? = 5, maxRuntime: Int? = 30
    ) -> CronCheckIn {
        CronCheckIn(
            cronName: "Nightly export", status: status, checkInId: id, schedule: "0 3 * * *", timeZone: Self.paris,
            checkinMargin: margin, maxRuntimeInMinutes: maxRuntime, duration: duration, taskId: "65f0c0ffee0000000000beef")
    }

    func warnings(_ records: RecordingLogHandler.Records) -> [String] {
        records.all.filter { $0.level >= .warning }.map(\.message)
    }

    @Test func inProgressThenOkPostTheSameCheckInIdWithTheMonitorConfig() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        let records = RecordingLogHandler.Records()
        let monitor = try monitor(port: server.port, records)
        #expect(server.requests.isEmpty, "constructing a monitor sends nothing")

        let id = UUID()
        await monitor.checkIn(checkIn(.inProgress, id: id))
        await monitor.checkIn(checkIn(.ok, id: id, duration: .milliseconds(1_500)))

        let requests = server.requests
        try #require(requests.count == 2)
        let hexId = id.uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        for (request, status) in zip(requests, ["in_progress", "ok"]) {
            #expect(request.method == "POST")
            #expect(request.path == "/api/42/cron/nightly-export/\(Self.key)/")
            #expect(request.headers["content-type"] == "application/json")
            let body = try #require(request.json)
            #expect(body["check_in_id"] as? String == hexId)
            #expect(body["status"] as? String == status)
            #expect(body["environment"] == nil)
            let config = try #require(body["monitor_config"] as? [String: Any])
            let schedule = try #require(config["schedule"] as? [String: Any])
            #expect(schedule["type"] as? String == "crontab")
            #expect(schedule["value"] as? String == "0 3 * * *")
            #expect(config["checkin_margin"] as? Int == 5)
            #expect(config["max_runtime"] as? Int == 30)
            #expect(config["timezone"] as? String == "Europe/Paris")
        }
        #expect(requests[0].json?["duration"] == nil, "an in-progress check-in has no duration")
        #expect(requests[1].json?["duration"] as? Double == 1.5)
        #expect(warnings(records).isEmpty)
    }

    @Test func errorCheckInCarriesItsDurationAndOmitsUnsetConfig() async throws {
        let server = try RecordingHTTPServer()
        defer { server.stop() }
        let monitor = try monitor(port: server.port, RecordingLogHandler.Records(), environment: "staging")

        await monitor.checkIn(checkIn(.error, id: UUID(), duration: .milliseconds(250), margin: nil, maxRuntime: nil))

        let body = try #require(server.requests.first?.json)
        #expect(body["status"] as? String == "error")
        #expect(body["duration"] as? Double == 0.25)
        #expect(body["environment"] as? String == "staging")
        let config = try #require(body["monitor_config"] as? [String: Any])
        #expect(config["checkin_margin"] == nil)
        #expect(config["max_runtime"] == nil)
        #expect(config["timezone"] as? String == "Europe/Paris")
    }

    @Test func serverErrorIsLoggedAndNeverThrown() async throws {
        let server = try RecordingHTTPServer(status: 500)
        defer { server.stop() }
        let records = RecordingLogHandler.Records()

        try await monitor(port: server.port, records).checkIn(checkIn(.inProgress, id: UUID()))

        #expect(server.requests.count == 1)
        #expect(warnings(records) == ["Sentry check-in refused: HTTP 500"])
    }

    @Test func closedPortIsLoggedAndNeverThrown() async throws {
        let closed = try ClosedPort()
        let records = RecordingLogHandler.Records()

        try await monitor(port: closed.port, records).checkIn(checkIn(.ok, id: UUID(), duration: .seconds(1)))

        let logged = warnings(records)
        #expect(logged.count == 1)
        #expect(logged.first?.hasPrefix("Sentry check-in failed: could not connect to the host") == true, "\(logged)")
        #expect(!logged.joined().contains(Self.key))
    }

    @Test func silentServerTimesOutWithinTheTimeout() async throws {
        let server = try RecordingHTTPServer(status: nil)
        defer { server.stop() }
        let records = RecordingLogHandler.Records()
        let monitor = try monitor(port: server.port, records, timeout: .milliseconds(300))

        let elapsed = await ContinuousClock().measure { await monitor.checkIn(checkIn(.inProgress, id: UUID())) }

        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(3), "\(elapsed)")
        #expect(warnings(records).first?.hasPrefix("Sentry check-in failed: timed out") == true, "\(warnings(records))")
        _ = try await eventually("the request reached the server") { server.requests.first }
    }

    @Test func cancellingTheCallerEndsTheCheckInAtOnce() async throws {
        let server = try RecordingHTTPServer(status: nil)
        defer { server.stop() }
        let records = RecordingLogHandler.Records()
        let monitor = try monitor(port: server.port, records, timeout: .seconds(30))

        let started = ContinuousClock.now
        let call = Task { await monitor.checkIn(checkIn(.inProgress, id: UUID())) }
        _ = try await eventually("the request reached the server") { server.requests.first }
        call.cancel()
        await call.value

        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(warnings(records) == ["Sentry check-in failed: cancelled"])
    }

    @Test func validDSNsGiveTheCheckInEndpoint() throws {
        let cloud = try SentryDSN("https://abc123@o0.ingest.sentry.io/42")
        #expect(cloud.checkInURL(monitorSlug: "nightly").absoluteString
            == "https://o0.ingest.sentry.io/api/42/cron/nightly/abc123/")
        #expect(cloud.description == "https://abc1…@o0.ingest.sentry.io/42")

        let selfHosted = try SentryDSN(" http://public:secret@sentry.local:9000/sentry/7/ ")
        #expect(selfHosted.checkInURL(monitorSlug: "x").absoluteString == "http://sentry.local:9000/sentry/api/7/cron/x/public/")
        #expect(selfHosted.pathPrefix == "/sentry")
        #expect(!selfHosted.description.contains("secret"))
    }

    @Test(arguments: [
        ("", "the DSN is empty"),
        ("abcdef123456@o0.ingest.sentry.io/42", "expected https://"),
        ("ftp://abcdef123456@host/1", "unsupported scheme \"ftp\""),
        ("https://o0.ingest.sentry.io/42", "missing the public key"),
        ("https://@host/42", "public key before \"@\" is empty"),
        ("https://abcdef12/3456@host/42", "missing the public key"),
        ("https://abcdef123456@/42", "missing the host"),
        ("https://abcdef123456@host:99999/1", "port \"99999\""),
        ("https://abcdef123456@host", "missing the project id"),
        ("https://abcdef123456@host/project", "project id \"project\" is not a number"),
    ])
    func invalidDSNsAreRefusedWithTheReasonAndAShortenedKey(dsn: String, reason: String) {
        #expect {
            _ = try SentryDSN(dsn)
        } throws: { error in
            guard let error = error as? CronMonitorError else { return false }
            return error.code == .invalidDSN && error.message.contains(reason) && !error.description.contains("abcdef123456")
        }
    }

    @Test func invalidDSNErrorShowsOnlyTheKeysStart() throws {
        let error = #expect(throws: CronMonitorError.self) {
            _ = try SentryCronMonitor(dsn: "https://abcdef123456@host/nope", logger: Logger.silent)
        }
        #expect(error?.description == #"invalid Sentry DSN: "https://abcd…@host/nope": the project id "nope" is not a number"#)
    }

    @Test(arguments: [
        ("nightly export", "nightly-export"),
        ("Mise à jour des données", "mise-a-jour-des-donnees"),
        ("  Hello, World!  ", "hello-world"),
        ("a--b__c", "a-b__c"),
        ("job.v2/weekly", "job-v2-weekly"),
        ("12345", "cron-12345"),
        ("!!!", "cron"),
        ("日本", "cron"),
        (String(repeating: "a", count: 60), String(repeating: "a", count: 50)),
        (String(repeating: "a", count: 49) + " b", String(repeating: "a", count: 49)),
    ])
    func monitorSlugsAreLowercaseASCIIAndAtMost50Characters(name: String, slug: String) {
        #expect(SentryCronMonitor.monitorSlug(for: name) == slug)
    }
}
