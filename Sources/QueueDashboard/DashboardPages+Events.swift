import Foundation
import HTTPTypes
import Hummingbird
import Queue

extension DashboardPages {
    /// How long one events stream lasts before the server ends it (the browser's `EventSource`
    /// reconnects at once): a bound on a connection's life, whatever the client does.
    static let eventStreamLength = Duration.seconds(600)

    /// `/events[?job=ID]`: server-sent events, one `figures` event now and then every refresh
    /// interval: the counts by status, the chart's series, workers and running jobs, and the
    /// job's status and times when `job` names one. Ends when the client goes away.
    func events(_ request: Request) -> Response {
        let job = request.uri.queryParameters["job"].flatMap { ObjectId(String($0)) }
        let (reader, interval, store) = (reader, options.refreshInterval, dashboard.client.store)
        let limit = options.countLimit
        let body = ResponseBody { writer in
            let end = ContinuousClock.now + Self.eventStreamLength
            while ContinuousClock.now < end, !Task.isCancelled {
                let figures = try await reader.figures()
                let tracked = try await job.asyncMap { try await store.job(id: $0) }
                try await writer.write(ByteBuffer(string: "event: figures\ndata: \(Self.json(figures, limit: limit, job: tracked ?? nil))\n\n"))
                try await Task.sleep(for: interval)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// The figures as one line of JSON, built from numbers and status names only.
    static func json(_ figures: DashboardReader.Figures, limit: Int, job: Job?) -> String {
        let counts = JobStatus.allCases.map { "\"\($0.rawValue)\":\(figures.counts[$0] ?? 0)" }.joined(separator: ",")
        let chart = EndingsChart.series(figures.endings, now: figures.now).map { "[\($0.finished),\($0.errored)]" }
            .joined(separator: ",")
        var json = "{\"counts\":{\(counts)},\"limit\":\(limit),\"chart\":[\(chart)],\"workers\":\(figures.workers),\"running\":\(figures.running)"
        if let job {
            json += ",\"job\":{\"status\":\"\(job.status.rawValue)\",\"started\":\"\(HTML.time(job.startedAt))\",\"ended\":\"\(HTML.time(job.endedAt))\"}"
        }
        return json + "}"
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<Mapped>(_ transform: (Wrapped) async throws -> Mapped) async rethrows -> Mapped? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
