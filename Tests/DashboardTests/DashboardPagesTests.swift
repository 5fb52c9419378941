import Foundation
import Queue
import QueueDashboard
import Testing

/// What each page shows, over real HTTP on a real SQLite store.
@Suite("Dashboard pages")
struct DashboardPagesTests {
    @Test func theOverviewShowsCountsByStatusWorkersTheChartAndCrons() async throws {
        let served = try await ServedDashboard.start(.init(jobNames: ["mail"], crons: [
            "nightly": CronDefinition("30 2 * * *", timeZone: TimeZone(identifier: "Europe/Paris"), checkinMargin: 5, maxRuntimeInMinutes: 60) { _, _ in nil },
        ]))
        for _ in 0..<3 { _ = try await served.client.schedule("mail") }
        let scope = ClaimScope(workerId: ObjectId(), names: ["mail"])
        try await served.store.registerWorker(WorkerRecord(id: scope.workerId, hostname: "box-1", tags: ["eu"], lastSeen: Date()))
        let claimed = try #require(try await served.store.claim(scope, now: Date()))
        _ = try await served.store.finish(claimed.id, by: scope.workerId, as: .finished, output: nil, at: Date())
        _ = try await served.store.claim(scope, now: Date())
        _ = try await served.store.syncCrons([CronRecord(name: "nightly", cronString: "30 2 * * *", scheduledFor: Date())], at: Date())

        let page = try await served.request("/")
        #expect(page.status == 200)
        #expect(page.body.contains(#"data-count="pending">1<"#))
        #expect(page.body.contains(#"data-count="running">1<"#))
        #expect(page.body.contains(#"data-count="finished">1<"#))
        #expect(page.body.contains("box-1") && page.body.contains("eu"))
        #expect(page.body.contains("<svg id=\"endings-chart\""))
        #expect(page.body.contains("<rect class=\"finished\""), "the minute's ending is drawn")
        #expect(page.body.contains("nightly") && page.body.contains("Europe/Paris"))
        #expect(page.body.contains("data-events=\"/events\""))

        let crons = try await served.request("/crons")
        #expect(crons.body.contains("Next five runs"))
        #expect(crons.body.components(separatedBy: "<li>").count - 1 == 5)
        #expect(crons.body.contains("02:30:00"), "next runs are at 02:30 in the cron's zone")
        #expect(crons.body.contains("5 min") && crons.body.contains("60 min"))
    }

    @Test func theJobListPagesByKeysetWithoutRepeatingOrSkippingJobs() async throws {
        let served = try await ServedDashboard.start()
        var ids: Set<String> = []
        for index in 0..<120 { ids.insert("\(try await served.client.schedule(index.isMultiple(of: 3) ? "report" : "mail").id)") }
        var seen: [String] = []
        var target: String? = "/jobs"
        while let next = target {
            let page = try await served.request(next)
            #expect(page.status == 200)
            seen += Self.ids(in: page.body)
            target = Self.olderLink(in: page.body)
        }
        #expect(seen.count == 120)
        #expect(Set(seen) == ids)

        let reports = try await served.request("/jobs?name=report")
        #expect(Self.ids(in: reports.body).count == 40)
        let none = try await served.request("/jobs?status=errored")
        #expect(none.body.contains("No job matches"))
        let past = try await served.request("/jobs?before=2001-01-01T00:00")
        #expect(past.body.contains("No job matches"))
    }

    @Test func aJobPageShowsItsPayloadPrettyPrintedItsTimelineAndItsError() async throws {
        let served = try await ServedDashboard.start()
        let job = try await served.client.schedule("mail", payload: ["to": "a@example.com", "tries": 3, "tags": ["x", "y"]])
        let scope = ClaimScope(workerId: ObjectId(), names: ["mail"])
        _ = try await served.store.claim(scope, now: Date())
        _ = try await served.store.finish(job.id, by: scope.workerId, as: .errored, output: JobOutput(duration: "12ms", error: "smtp refused"), at: Date())
        let page = try await served.request("/jobs/\(job.id)")
        #expect(page.body.contains("{\n  &quot;to&quot;: &quot;a@example.com&quot;,\n  &quot;tries&quot;: 3,"))
        #expect(page.body.contains("smtp refused"))
        #expect(page.body.contains("data-job-status=\"errored\""))
        #expect(page.body.contains("12ms"))
        #expect(page.body.contains("Run again") && !page.body.contains(">Kill<"), "an ended job can run again, not be killed")
        #expect(try await served.request("/jobs/nope").body.contains("No such job"))
    }

    @Test func theEventStreamSendsTheFiguresAndAJobsStatus() async throws {
        let served = try await ServedDashboard.start()
        let job = try await served.client.schedule("mail")
        let response = try await served.request("/events?job=\(job.id)", readingUntil: "\n\n")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/event-stream") == true)
        #expect(response.body.contains("event: figures"))
        #expect(response.body.contains("\"pending\":1"))
        #expect(response.body.contains("\"job\":{\"status\":\"pending\""))
    }

    static func ids(in html: String) -> [String] {
        html.components(separatedBy: "<td class=\"id\"><a href=\"/jobs/").dropFirst().map { String($0.prefix(24)) }
    }

    static func olderLink(in html: String) -> String? {
        guard let range = html.range(of: "<a rel=\"next\" href=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
    }
}
