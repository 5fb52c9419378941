import Foundation
import HTTPTypes
import Hummingbird
import Queue

/// The dashboard's pages and actions, each a response built from bounded store reads.
struct DashboardPages: Sendable {
    let dashboard: JobDashboard
    /// The path the dashboard is mounted at ("" for the root), which every link starts with.
    let base: String

    var reader: DashboardReader { DashboardReader(store: dashboard.client.store, options: dashboard.options) }
    var options: JobDashboard.Options { dashboard.options }

    // MARK: Overview

    func overview(_ request: Request) async throws -> Response {
        let overview = try await reader.overview()
        let figures = overview.figures
        var body = "<h1>Overview</h1>"
        body += counts(figures.counts)
        body += """
            <section><h2>Jobs ended per minute, last hour</h2>
            \(EndingsChart.svg(figures.endings, now: figures.now))
            <p class="legend"><span class="swatch finished"></span> finished <span class="swatch errored"></span> errored \
            · <span data-endings-total>\(figures.endings.filter { $0.status == .finished || $0.status == .errored }.map(\.count).reduce(0, +))</span> in the hour</p>
            </section>
            """
        body += "<section><h2>Workers (<span data-workers>\(overview.workers.count)</span>)</h2>"
        if overview.workers.isEmpty {
            body += "<p class=\"empty\">No worker is registered.</p>"
        } else {
            body += "<table><thead><tr><th>host</th><th>worker</th><th>tags</th><th>last heartbeat</th><th>running</th></tr></thead><tbody>"
            for worker in overview.workers {
                let running = worker.running.isEmpty ? "—" : worker.running.map { job in
                    "<a href=\"\(HTML.escape(base))/jobs/\(job.id)\">\(HTML.escape(job.name))</a>"
                }.joined(separator: ", ")
                body += """
                    <tr><td>\(HTML.escape(worker.record.hostname))</td><td class="id">\(worker.record.id)</td>\
                    <td>\(HTML.escape(worker.record.tags?.joined(separator: ", ") ?? "any"))</td>\
                    <td>\(HTML.time(worker.record.lastSeen)) (\(HTML.duration(max(0, figures.now.timeIntervalSince(worker.record.lastSeen)))) ago)</td>\
                    <td>\(running)</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        body += "</section><section><h2>Queue wait (start − due time), latest \(DashboardReader.waitSamples) starts per name</h2>"
        if overview.waits.isEmpty {
            body += "<p class=\"empty\">No job has started yet.</p>"
        } else {
            body += "<table><thead><tr><th>name</th><th>p50</th><th>p99</th><th>starts</th></tr></thead><tbody>"
            for wait in overview.waits {
                body += """
                    <tr><td><a href="\(HTML.escape(base))/jobs?name=\(HTML.escape(HTML.query(wait.name)))">\(HTML.escape(wait.name))</a></td>\
                    <td>\(HTML.duration(wait.p50))</td><td>\(HTML.duration(wait.p99))</td><td>\(wait.samples)</td></tr>
                    """
            }
            body += "</tbody></table>"
        }
        body += "</section><section><h2>Crons</h2>"
        body += overview.crons.isEmpty ? "<p class=\"empty\">No cron is declared.</p>" : cronSummary(overview.crons)
        body += "</section>"
        return HTML.page(title: "Overview", base: base, current: "Overview", live: "\(base)/events", body: body)
    }

    /// The counts by status, each a link to its jobs, updated live (`data-count`).
    private func counts(_ counts: [JobStatus: Int]) -> String {
        var html = "<section class=\"counts\">"
        for status in JobStatus.allCases {
            html += """
                <a class="count \(status.rawValue)" href="\(HTML.escape(base))/jobs?status=\(status.rawValue)">\
                <span class="label">\(status.rawValue)</span>\
                <span class="value" data-count="\(status.rawValue)">\(HTML.count(counts[status] ?? 0, limit: options.countLimit))</span></a>
                """
        }
        return html + "</section>"
    }

    private func cronSummary(_ crons: [DashboardReader.Cron]) -> String {
        var html = "<table><thead><tr><th>name</th><th>expression</th><th>zone</th><th>next runs</th></tr></thead><tbody>"
        for cron in crons {
            html += """
                <tr><td><a href="\(HTML.escape(base))/crons#cron-\(HTML.escape(HTML.query(cron.record.name)))">\(HTML.escape(cron.record.name))</a></td>\
                <td><code>\(HTML.escape(cron.record.cronString))</code></td><td>\(HTML.escape(HTML.zone(cron.timeZone)))</td>\
                <td data-next-run>\(cron.next.prefix(2).map { HTML.time($0, in: cron.timeZone) }.joined(separator: "<br>"))</td></tr>
                """
        }
        return html + "</tbody></table>"
    }

    // MARK: Crons

    func crons(_ request: Request) async throws -> Response {
        let crons = try await reader.crons()
        var body = "<h1>Crons</h1>"
        if crons.isEmpty { body += "<p class=\"empty\">No cron is declared.</p>" }
        for cron in crons {
            let definition = cron.definition
            body += """
                <section class="cron" id="cron-\(HTML.escape(HTML.query(cron.record.name)))"><h2>\(HTML.escape(cron.record.name))</h2>
                <dl><dt>expression</dt><dd><code>\(HTML.escape(cron.record.cronString))</code></dd>
                <dt>time zone</dt><dd>\(HTML.escape(HTML.zone(cron.timeZone)))\(definition == nil ? " (not declared here: the dashboard's default)" : "")</dd>
                <dt>check-in margin</dt><dd>\(definition?.checkinMargin.map { "\($0) min" } ?? "—")</dd>
                <dt>maximum runtime</dt><dd>\(definition?.maxRuntimeInMinutes.map { "\($0) min" } ?? "—")</dd>
                <dt>next due (stored)</dt><dd>\(HTML.time(cron.record.scheduledFor))</dd></dl>
                <h3>Next five runs</h3><ol class="next-runs">\(cron.next.map { "<li>\(HTML.time($0, in: cron.timeZone))</li>" }.joined())</ol>
                <h3>Last runs</h3>
                """
            let runs = try await reader.cronRuns(cron.record.name)
            if runs.isEmpty {
                body += "<p class=\"empty\">No run yet.</p>"
            } else {
                body += "<table><thead><tr><th>task</th><th>status</th><th>due</th><th>started</th><th>lateness</th><th>duration</th></tr></thead><tbody>"
                for run in runs {
                    let lateness = run.startedAt.map { HTML.duration(max(0, $0.timeIntervalSince(run.scheduledFor))) } ?? "—"
                    body += """
                        <tr><td class="id"><a href="\(HTML.escape(base))/jobs/\(run.id)">\(run.id)</a></td><td>\(HTML.status(run.status))</td>\
                        <td>\(HTML.time(run.scheduledFor))</td><td>\(HTML.time(run.startedAt))</td><td>\(lateness)</td>\
                        <td>\(HTML.escape(run.output?.duration ?? "—"))</td></tr>
                        """
                }
                body += "</tbody></table>"
            }
            body += "</section>"
        }
        return HTML.page(title: "Crons", base: base, current: "Crons", live: nil, body: body)
    }
}
