import Foundation
import BSON

/// A Sentry DSN (`https://<public key>@<host>[:port][/<path>]/<project id>`): where a project's
/// check-ins go and the key that lets them in.
///
/// Parsed once, when the monitor is configured, so that a malformed DSN fails at start with a
/// reason rather than at a cron's first tick (SPEC §7). Its ``description`` and errors show
/// only the first characters of the public key: a DSN's key is meant for clients, but logs are
/// read by more people than the project's settings are.
///
/// `http://` is accepted for self-hosted relays and tests. A legacy secret key
/// (`https://<public>:<secret>@...`) is accepted and dropped: check-ins do not use it.
public struct SentryDSN: Sendable, Hashable, CustomStringConvertible {
    /// `https` or `http`.
    public let scheme: String
    /// The host and optional port, as written (`o0.ingest.sentry.io`, `127.0.0.1:9000`).
    public let authority: String
    /// The path before the project id: empty for sentry.io, `/sentry` for a DSN like
    /// `https://key@example.com/sentry/42`.
    public let pathPrefix: String
    /// The numeric project id, the DSN's last path component.
    public let projectId: String
    /// The public key (the DSN's user part); sent in the check-in URL, never logged in full.
    let publicKey: String
    /// `<scheme>://<authority><prefix>/api/<project id>/cron/`.
    private let cronBase: URL

    /// Parses `dsn`, or throws ``CronMonitorError/Code/invalidDSN`` naming the part at fault.
    public init(_ dsn: String) throws(CronMonitorError) {
        func invalid(_ reason: String) -> CronMonitorError {
            CronMonitorError(.invalidDSN, "\(Self.redact(dsn).debugDescription): \(reason)")
        }
        let raw = dsn.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !raw.isEmpty else { throw invalid("the DSN is empty") }
        guard let separator = raw.range(of: "://") else {
            throw invalid("expected https://<public key>@<host>/<project id>")
        }
        let scheme = raw[..<separator.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw invalid("unsupported scheme \(scheme.debugDescription): use https (or http)")
        }
        let rest = raw[separator.upperBound...].prefix { $0 != "?" && $0 != "#" }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let userAndHost = rest[..<authorityEnd]
        guard let at = userAndHost.lastIndex(of: "@") else {
            throw invalid("missing the public key before \"@\" (expected https://<public key>@<host>/<project id>)")
        }
        let publicKey = userAndHost[..<at].prefix { $0 != ":" }
        guard !publicKey.isEmpty else { throw invalid("the public key before \"@\" is empty") }
        guard publicKey.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw invalid("the public key must hold only letters and digits")
        }
        let authority = String(userAndHost[userAndHost.index(after: at)...])
        try Self.checkAuthority(authority, invalid)

        let components = rest[authorityEnd...].split(separator: "/")
        guard let projectId = components.last else {
            throw invalid("missing the project id (the last path component)")
        }
        guard projectId.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw invalid("the project id \(String(projectId).debugDescription) is not a number")
        }
        let pathPrefix = components.dropLast().map { "/" + $0 }.joined()
        guard let cronBase = URL(string: "\(scheme)://\(authority)\(pathPrefix)/api/\(projectId)/cron/") else {
            throw invalid("the host or path does not form a valid URL")
        }

        self.scheme = scheme
        self.authority = authority
        self.pathPrefix = pathPrefix
        self.projectId = String(projectId)
        self.publicKey = String(publicKey)
        self.cronBase = cronBase
    }

    /// The check-in endpoint of the monitor `monitorSlug`:
    /// `<scheme>://<authority><prefix>/api/<project id>/cron/<monitor slug>/<public key>/`.
    ///
    /// `monitorSlug` must already be a slug (see ``SentryCronMonitor/monitorSlug(for:)``).
    public func checkInURL(monitorSlug: String) -> URL {
        cronBase.appendingPathComponent(monitorSlug, isDirectory: true)
            .appendingPathComponent(publicKey, isDirectory: true)
    }

    /// The DSN with its public key shortened to its first characters: safe to log.
    public var description: String {
        "\(scheme)://\(Self.shortened(publicKey))@\(authority)\(pathPrefix)/\(projectId)"
    }

    /// A host name or address with an optional port: `host`, `host:port`, `[::1]:port`.
    private static func checkAuthority(
        _ authority: String, _ invalid: (String) -> CronMonitorError
    ) throws(CronMonitorError) {
        var host = Substring(authority)
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("unclosed \"[\" in the host") }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw invalid("unexpected text after the host's \"]\"") }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { throw invalid("missing the host after \"@\"") }
        guard host.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "@" }) else {
            throw invalid("the host holds spaces or characters that are not ASCII")
        }
        if let port {
            guard let number = Int(port), (1...65_535).contains(number) else {
                throw invalid("the port \(String(port).debugDescription) is not a number from 1 to 65535")
            }
        }
    }

    /// `dsn` with whatever stands before the host's `@` shortened, for error messages about a
    /// string that may not parse at all.
    static func redact(_ dsn: String) -> String {
        let start = dsn.range(of: "://")?.upperBound ?? dsn.startIndex
        let authority = dsn[start...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return String(dsn.prefix(200)) }
        let redacted = dsn[..<start] + shortened(dsn[start..<at]) + dsn[at...]
        return String(redacted.prefix(200))
    }

    /// The first four characters of a key, then an ellipsis; keys of four or fewer characters
    /// are hidden entirely.
    private static func shortened(_ key: some StringProtocol) -> String {
        let visible = key.prefix { $0 != ":" }
        return visible.count > 4 ? visible.prefix(4) + "…" : "…"
    }
}
