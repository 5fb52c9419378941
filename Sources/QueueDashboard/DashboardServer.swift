import HTTPTypes
import Hummingbird
import Logging

/// The dashboard served on its own (what `job-processor dashboard` runs), with the binding
/// rules that keep it private: loopback by default; any other address only with a token.
public enum DashboardServer {
    /// Why a dashboard will not start.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// The host names of the loopback interface.
    static let loopbackNames: Set<String> = ["127.0.0.1", "localhost", "[::1]"]

    /// Whether `host` is a loopback address or name.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Checks the binding: any address but loopback needs a token.
    public static func check(host: String, token: String?) throws(Refusal) {
        if let token, token.isEmpty { throw Refusal(description: "the token is empty") }
        guard isLoopback(host) || token != nil else {
            throw Refusal(description: "binding \(host) (not loopback) needs a token (--token or JOB_PROCESSOR_DASHBOARD_TOKEN): anyone who reaches the address could otherwise kill and run jobs")
        }
    }

    /// `options` as served on `host`: without a token on loopback, requests must name a
    /// loopback host (see ``JobDashboard/Options/allowedHostnames``).
    public static func options(_ options: JobDashboard.Options, servedOn host: String) -> JobDashboard.Options {
        var options = options
        if options.token == nil, isLoopback(host), options.allowedHostnames == nil { options.allowedHostnames = loopbackNames }
        return options
    }

    /// The logger Hummingbird gets: `logger`, quiet below `critical` unless it asks for debug
    /// lines, for Hummingbird logs the cancellation that stops a server (Ctrl-C) as an error.
    static func serverLogger(_ logger: Logger) -> Logger {
        var quiet = logger
        if quiet.logLevel > .debug { quiet.logLevel = .critical }
        return quiet
    }

    /// Serves `dashboard` at the root of `host`:`port` until the calling task is cancelled;
    /// `port` 0 takes a free port, told to `onListening`.
    /// - Throws: ``Refusal`` when the binding needs a token the dashboard has not.
    public static func run(
        _ dashboard: JobDashboard, host: String, port: Int, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        try check(host: host, token: dashboard.options.token)
        let router = Router()
        dashboard.addRoutes(to: router)
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) }, logger: serverLogger(logger))
        try await application.run()
    }
}
