import Foundation
import HTTPTypes
import Hummingbird
import Queue

extension DashboardPages {
    /// Jobs listed per page.
    static let pageSize = 50

    // MARK: Listing

    /// `/jobs?status=&name=&before=&after=`: newest first, filtered by status, name and creation
    /// time (`before`, `YYYY-MM-DDTHH:MM[:SS]` in UTC), a page at a time by keyset (`after`, the
    /// last job's `created_at` in milliseconds and id).
    func jobs(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        let statusText = parameters["status"].map(String.init) ?? ""
        let status = JobStatus(rawValue: statusText)
        let name = (parameters["name"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        let beforeText = parameters["before"].map(String.init) ?? ""
        let before = Self.parseTime(beforeText)
        let cursor = parameters["after"].flatMap { Self.parseCursor(String($0)) }
        let query = JobQuery(
            names: name.isEmpty ? nil : [name], statuses: status.map { [$0] }, types: [.simple, .cronTask],
            createdBefore: before, after: cursor, limit: Self.pageSize)
        let jobs = try await dashboard.client.store.jobs(matching: query)

        var body = "<h1>Jobs</h1>"
        body += """
            <form class="filters" method="get" action="\(HTML.escape(base))/jobs">
            <label>status <select name="status"><option value="">any</option>\
            \(JobStatus.allCases.map { "<option\($0 == status ? " selected" : "")>\($0.rawValue)</option>" }.joined())</select></label>
            <label>name <input name="name" value="\(HTML.escape(name))"></label>
            <label>created before (UTC) <input name="before" placeholder="2026-12-05T09:00" value="\(HTML.escape(beforeText))"></label>
            <button type="submit">Filter</button></form>
            """
        if !beforeText.isEmpty, before == nil {
            body += "<p class=\"error\">“\(HTML.escape(beforeText))” is not a time: use YYYY-MM-DDTHH:MM (UTC).</p>"
        }
        if jobs.isEmpty {
            body += "<p class=\"empty\">No job matches.</p>"
        } else {
            body += "<table class=\"jobs\"><thead><tr><th>id</th><th>name</th><th>status</th><th>created</th><th>due</th><th>started</th><th>ended</th><th>duration</th><th>error</th></tr></thead><tbody>"
            for job in jobs {
                body += """
                    <tr><td class="id"><a href="\(HTML.escape(base))/jobs/\(job.id)">\(job.id)</a></td><td>\(HTML.escape(job.name))</td>\
                    <td>\(HTML.status(job.status))</td><td>\(HTML.time(job.createdAt))</td><td>\(HTML.time(job.scheduledFor))</td>\
                    <td>\(HTML.time(job.startedAt))</td><td>\(HTML.time(job.endedAt))</td>\
                    <td>\(HTML.escape(job.output?.duration ?? ""))</td><td class="error">\(HTML.escape(String((job.output?.error ?? "").prefix(80))))</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        var filters: [String] = []
        if let status { filters.append("status=\(status.rawValue)") }
        if !name.isEmpty { filters.append("name=\(HTML.query(name))") }
        if before != nil { filters.append("before=\(HTML.query(beforeText))") }
        body += "<nav class=\"pages\">"
        if cursor != nil {
            body += "<a href=\"\(HTML.escape(base))/jobs\(filters.isEmpty ? "" : "?" + HTML.escape(filters.joined(separator: "&")))\">Newest</a>"
        }
        if jobs.count == Self.pageSize, let last = jobs.last {
            let next = filters + ["after=\(BSONWriter.milliseconds(last.createdAt))-\(last.id)"]
            body += "<a rel=\"next\" href=\"\(HTML.escape(base))/jobs?\(HTML.escape(next.joined(separator: "&")))\">Older →</a>"
        }
        body += "</nav>"
        return HTML.page(title: "Jobs", base: base, current: "Jobs", live: nil, body: body)
    }

    /// `2026-12-05T09:00`, with seconds, a fraction, a `Z` or a space for `T`: UTC.
    static func parseTime(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "T")
        guard !trimmed.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed.hasSuffix("Z") ? String(trimmed.dropLast()) : trimmed) { return date }
        }
        return nil
    }

    /// `<milliseconds>-<id>`, as the "Older" link writes it.
    static func parseCursor(_ text: String) -> JobQuery.Cursor? {
        let parts = text.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let id = ObjectId(String(parts[1])) else { return nil }
        return JobQuery.Cursor(date: Date(timeIntervalSince1970: Double(milliseconds) / 1000), id: id)
    }

    // MARK: One job

    func job(_ idText: String, _ request: Request) async throws -> Response {
        guard let id = ObjectId(idText), let job = try await dashboard.client.store.job(id: id) else {
            return HTML.page(title: "No such job", base: base, current: "Jobs", live: nil,
                             body: "<h1>No such job</h1><p class=\"empty\">No job has the id “\(HTML.escape(idText))”.</p>")
        }
        var body = "<h1>\(HTML.escape(job.name)) <span data-job-status=\"\(job.status.rawValue)\">\(HTML.status(job.status))</span></h1>"
        body += """
            <dl><dt>id</dt><dd class="id">\(job.id)</dd><dt>type</dt><dd>\(job.type.rawValue)</dd>\
            <dt>concurrency</dt><dd>\(job.concurrency.rawValue)</dd>\
            <dt>worker</dt><dd class="id" data-job-worker>\(job.workerId.map { "\($0)" } ?? "—")</dd>\
            <dt>duration</dt><dd>\(HTML.escape(job.output?.duration ?? "—"))</dd></dl>
            <h2>Timeline</h2><table class="timeline"><tbody>\
            <tr><th>created</th><td>\(HTML.time(job.createdAt))</td></tr>\
            <tr><th>scheduled</th><td>\(HTML.time(job.scheduledFor))</td></tr>\
            <tr><th>started</th><td data-job-started>\(HTML.time(job.startedAt))</td></tr>\
            <tr><th>ended</th><td data-job-ended>\(HTML.time(job.endedAt))</td></tr>\
            <tr><th>updated</th><td>\(HTML.time(job.updatedAt))</td></tr></tbody></table>
            """
        body += actions(job)
        body += "<h2>Payload</h2>" + json(job.payload.map { .document($0) })
        if let output = job.output {
            body += "<h2>Result</h2>" + json(output.result)
            if let error = output.error { body += "<h2>Error</h2><pre class=\"error\" data-job-error>\(HTML.escape(error))</pre>" }
            if let skip = output.skipMetadata {
                body += """
                    <h2>Skipped</h2><p>\(HTML.escape(skip.reason)) at \(HTML.time(skip.skippedAt))\
                    \(skip.conflictingJobId.map { ", while <a href=\"\(HTML.escape(base))/jobs/\($0)\">\($0)</a> was active" } ?? "")</p>
                    """
            }
        }
        return HTML.page(title: job.name, base: base, current: "Jobs", live: "\(base)/events?job=\(job.id)", body: body)
    }

    private func json(_ value: BSON?) -> String {
        guard let value else { return "<p class=\"empty\">none</p>" }
        return "<pre class=\"json\">\(HTML.escape(PrettyJSON.format(value)))</pre>"
    }

    /// The kill and run-again buttons, as POST forms carrying the anti-forgery key; none for a
    /// read-only dashboard.
    private func actions(_ job: Job) -> String {
        guard !options.readOnly else { return "" }
        var html = "<div class=\"actions\">"
        if !job.status.isTerminal {
            html += form(job, "kill", label: "Kill", attributes: " data-action=\"kill\"")
        }
        if job.type == .simple {
            html += form(job, "rerun", label: "Run again", attributes: " data-action=\"rerun\"")
        }
        return html + "</div>"
    }

    private func form(_ job: Job, _ action: String, label: String, attributes: String) -> String {
        """
        <form method="post" action="\(HTML.escape(base))/jobs/\(job.id)/\(action)">\
        <input type="hidden" name="key" value="\(dashboard.formKey)"><button type="submit"\(attributes)>\(label)</button></form>
        """
    }

    // MARK: Actions

    func kill(_ idText: String, _ request: Request) async throws -> Response {
        let (id, refusal) = try await checkedAction(idText, request)
        guard let id else { return refusal! }
        _ = try await dashboard.client.kill(id)
        return Response(status: .seeOther, headers: [.location: "\(base)/jobs/\(id)"])
    }

    func runAgain(_ idText: String, _ request: Request) async throws -> Response {
        let (id, refusal) = try await checkedAction(idText, request)
        guard let id else { return refusal! }
        guard let job = try await dashboard.client.store.job(id: id), job.type == .simple else {
            return DashboardSecurity.plain(.notFound, "No such job to run again.")
        }
        let copy = try await dashboard.client.schedule(job.name, payload: job.payload, concurrency: job.concurrency)
        return Response(status: .seeOther, headers: [.location: "\(base)/jobs/\(copy.id)"])
    }

    /// The job id of an action whose form carries the dashboard's key; otherwise nil and the
    /// response refusing it.
    private func checkedAction(_ idText: String, _ request: Request) async throws -> (ObjectId?, Response?) {
        var request = request
        let body = try await request.collectBody(upTo: 4_096)
        let fields = String(decoding: body.readableBytesView, as: UTF8.self).split(separator: "&").reduce(into: [String: String]()) { fields, pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let key = fields["key"], DashboardSecurity.same(key, dashboard.formKey) else {
            return (nil, DashboardSecurity.plain(.forbidden, "This form is not one of this dashboard's pages (its key is missing or stale)."))
        }
        guard let id = ObjectId(idText) else {
            return (nil, DashboardSecurity.plain(.notFound, "No such job."))
        }
        return (id, nil)
    }
}
