import Foundation
import HTTPTypes
import Hummingbird
import Queue

/// The web dashboard of a fleet: server-rendered pages over a store (overview, jobs, a job,
/// crons), figures refreshed live by server-sent events, and the actions kill and run again.
/// Mount it in your own Hummingbird application, or run it alone with ``DashboardServer``
/// (`job-processor dashboard`).
///
/// ```swift
/// let dashboard = JobDashboard(client: processor.client, options: .init(token: secret, crons: crons))
/// let router = Router()
/// dashboard.addRoutes(to: router, at: "/jobs-dashboard")
/// ```
///
/// Rules, and why:
/// - Every read is bounded (an index and a limit, see ``JobStore/countJobs(upTo:)``): a page
///   costs the same on a store of any size.
/// - Every string read from the store (names, payloads, results, errors) is escaped, and the
///   pages run no inline script (their Content-Security-Policy forbids it), so a job's data
///   never runs in the browser.
/// - With a ``Options/token``, every request must carry it (a cookie set when the token is
///   given once in the URL, or an `Authorization: Bearer` header); actions are POST requests
///   that also need a same-origin `Origin` and the form's anti-forgery field;
///   ``Options/readOnly`` removes them.
public struct JobDashboard: Sendable {
    /// What the dashboard shows and allows.
    public struct Options: Sendable {
        /// Needed on every request when set (see ``JobDashboard``); nil: none (bind to loopback).
        public var token: String?
        /// No actions: the kill and run-again buttons and their routes are gone.
        public var readOnly: Bool
        /// The job names whose queue wait the overview shows (the crons' names are added).
        public var jobNames: [String]
        /// The crons as the application declares them: their zones, check-in margins and
        /// maximum runtimes, which the store does not keep. A stored cron not listed here is
        /// shown in ``defaultTimeZone`` and without them.
        public var crons: [String: CronDefinition]
        /// The zone of crons whose definition names none, or that are not in ``crons``.
        public var defaultTimeZone: TimeZone
        /// How often live pages get new figures.
        public var refreshInterval: Duration
        /// The most jobs counted per status (``JobStore/countJobs(upTo:)``); more shows as "N+".
        public var countLimit: Int
        /// Host names the requests' `Host` must name (any port), nil: any. A dashboard bound to
        /// loopback without a token sets the loopback names, so that a web page whose own host
        /// name resolves to 127.0.0.1 (DNS rebinding) cannot read it.
        public var allowedHostnames: Set<String>?

        /// The options: no token, actions allowed, every name and cron the store shows.
        public init(
            token: String? = nil, readOnly: Bool = false, jobNames: [String] = [], crons: [String: CronDefinition] = [:],
            defaultTimeZone: TimeZone = TimeZone(identifier: "UTC")!, refreshInterval: Duration = .seconds(2),
            countLimit: Int = 10_000, allowedHostnames: Set<String>? = nil
        ) {
            self.token = token
            self.readOnly = readOnly
            self.jobNames = jobNames
            self.crons = crons
            self.defaultTimeZone = defaultTimeZone
            self.refreshInterval = refreshInterval
            self.countLimit = countLimit
            self.allowedHostnames = allowedHostnames
        }
    }

    /// Reads, kills and schedules jobs.
    public let client: JobClient
    /// What it shows and allows.
    public let options: Options
    /// The anti-forgery value every action form carries: random per dashboard, never in a URL.
    let formKey: String
    /// What the session cookie holds once the token was given: random per dashboard.
    let sessionKey: String

    /// A dashboard over the store `client` reads, with `options`.
    public init(client: JobClient, options: Options = Options()) {
        self.client = client
        self.options = options
        formKey = Self.randomKey()
        sessionKey = Self.randomKey()
    }

    /// Adds the pages, their events, assets and actions under `path` ("" for the root).
    public func addRoutes<Context: RequestContext>(to router: Router<Context>, at path: String = "") {
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        let group = router.group(RouterPath(base.isEmpty ? "" : base))
        group.add(middleware: DashboardGuard<Context>(options: options, sessionKey: sessionKey, base: base))
        let pages = DashboardPages(dashboard: self, base: base)
        group.get("") { request, _ in try await pages.overview(request) }
        group.get("jobs") { request, _ in try await pages.jobs(request) }
        group.get("jobs/:id") { request, context in try await pages.job(context.parameters.get("id") ?? "", request) }
        group.get("crons") { request, _ in try await pages.crons(request) }
        group.get("events") { request, _ in pages.events(request) }
        group.get("assets/dashboard.css") { _, _ in DashboardAssets.response(DashboardAssets.css, type: "text/css") }
        group.get("assets/dashboard.js") { _, _ in DashboardAssets.response(DashboardAssets.javascript, type: "text/javascript") }
        guard !options.readOnly else { return }
        group.post("jobs/:id/kill") { request, context in
            try await pages.kill(context.parameters.get("id") ?? "", request)
        }
        group.post("jobs/:id/rerun") { request, context in
            try await pages.runAgain(context.parameters.get("id") ?? "", request)
        }
    }

    /// 32 random bytes as hex.
    static func randomKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
