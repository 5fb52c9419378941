import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// Checks every dashboard request before its route runs, and hardens every response:
/// - the `Host` names an allowed host (``JobDashboard/Options/allowedHostnames``);
/// - with a token, the request carries it: the `job_dashboard` cookie or an
///   `Authorization: Bearer` header; a GET whose URL holds `?token=` sets the cookie and
///   redirects to the same page without it (so the token leaves the address bar and the
///   history); anything else is a 401 with a form to give the token;
/// - a POST (an action) comes from a page of this dashboard: its `Origin` (or, without one,
///   `Sec-Fetch-Site: same-origin`) matches the request's host, and its form carries the
///   dashboard's anti-forgery key;
/// - responses forbid inline scripts, framing and content sniffing, and are never cached.
struct DashboardGuard<Context: RequestContext>: RouterMiddleware {
    let options: JobDashboard.Options
    /// The `job_dashboard` cookie's value once the token was given.
    let sessionKey: String
    /// The path the dashboard is mounted at, for the cookie's path.
    let base: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await check(request, context: context, next: next)
        for (name, value) in DashboardSecurity.securityHeaders { response.headers[name] = value }
        return response
    }

    private func check(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let allowed = options.allowedHostnames, !allowed.contains(DashboardSecurity.hostname(request.head.authority ?? "")) {
            return DashboardSecurity.plain(.misdirectedRequest, "This dashboard does not answer for this host name.")
        }
        if let token = options.token {
            if request.method == .get, let given = request.uri.queryParameters["token"] {
                guard DashboardSecurity.same(String(given), token) else { return DashboardSecurity.tokenForm(failed: true) }
                var response = Response(status: .seeOther, headers: [.location: DashboardSecurity.withoutToken(request.uri)])
                let path = base.isEmpty ? "/" : base
                response.headers[.setCookie] = "\(DashboardSecurity.cookieName)=\(sessionKey); Path=\(path); HttpOnly; SameSite=Strict"
                return response
            }
            guard carriesToken(request, token) else { return DashboardSecurity.tokenForm(failed: false) }
        }
        if request.method == .post {
            guard DashboardSecurity.sameOrigin(request) else {
                return DashboardSecurity.plain(.forbidden, "Actions are taken from the dashboard's own pages only (cross-origin request refused).")
            }
        }
        return try await next(request, context)
    }

    /// Whether the request carries the token in its cookie or its `Authorization` header.
    private func carriesToken(_ request: Request, _ token: String) -> Bool {
        if let cookie = request.cookies[DashboardSecurity.cookieName]?.value, DashboardSecurity.same(cookie, sessionKey) { return true }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
           DashboardSecurity.same(String(authorization.dropFirst("Bearer ".count)), token)
        {
            return true
        }
        return false
    }
}

/// The rules and responses of ``DashboardGuard`` that do not depend on the request context.
enum DashboardSecurity {
    static let cookieName = "job_dashboard"

    /// Whether a POST comes from a page of the host it is sent to.
    static func sameOrigin(_ request: Request) -> Bool {
        let host = request.head.authority ?? ""
        if let origin = request.headers[.origin] {
            guard let url = URL(string: origin), let originHost = url.host else { return false }
            let port = url.port.map { ":\($0)" } ?? ""
            return "\(originHost)\(port)" == host || "[\(originHost)]\(port)" == host
        }
        return request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "same-origin"
    }

    /// `host:port` without its port (`[::1]` kept whole).
    static func hostname(_ authority: String) -> String {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") { return String(authority[...end]) }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// Compares in time that does not depend on where the strings differ.
    static func same(_ given: String, _ expected: String) -> Bool {
        let (a, b) = (Array(given.utf8), Array(expected.utf8))
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// `uri`'s path and query without its `token` parameter.
    static func withoutToken(_ uri: URI) -> String {
        let kept = (uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("token=") }
        return uri.path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }

    static let securityHeaders: [(HTTPField.Name, String)] = [
        (.contentSecurityPolicy, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("Referrer-Policy")!, "same-origin"),
        (.cacheControl, "no-store"),
    ]

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    /// The 401 page: a form that sends the token in the URL once (then kept in the cookie).
    static func tokenForm(failed: Bool) -> Response {
        let message = failed ? "<p class=\"error\">That token is not this dashboard's.</p>" : ""
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Job dashboard: token</title></head>
            <body><h1>Job dashboard</h1>\(message)<p>This dashboard needs its access token.</p>
            <form method="get"><label>Token <input type="password" name="token" autocomplete="off"></label>
            <button type="submit">Open</button></form></body></html>
            """
        return Response(status: .unauthorized, headers: [.contentType: "text/html; charset=utf-8", .wwwAuthenticate: "Bearer"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}
