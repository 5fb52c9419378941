import ArgumentParser
import Foundation
import Loop
import Queue
import QueueDashboard

/// `job-processor dashboard`: the web dashboard over a store, until SIGTERM or SIGINT. Binds
/// 127.0.0.1 by default; any other address needs a token, checked on every request.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Serve the web dashboard of a store's jobs, workers and crons.")

    /// Where the token may come from instead of `--token` (which other users see in `ps`).
    static let tokenVariable = "JOB_PROCESSOR_DASHBOARD_TOKEN"

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The address to listen on; any but loopback needs --token.")
    var host: String = "127.0.0.1"

    @Option(help: "The port (0: a free one, printed at start).")
    var port: Int = 8080

    @Option(help: "The access token every request must carry (default: $JOB_PROCESSOR_DASHBOARD_TOKEN).")
    var token: String?

    @Flag(help: "No actions: no kill, no run again.")
    var readOnly = false

    func run() async throws {
        try await reportingFailures {
            guard (0...65_535).contains(port) else { throw CommandFailure("--port \(port): expected 0 to 65535") }
            let token = token ?? ProcessInfo.processInfo.environment[Self.tokenVariable].flatMap { $0.isEmpty ? nil : $0 }
            do throws(DashboardServer.Refusal) { try DashboardServer.check(host: host, token: token) } catch {
                throw CommandFailure("--host \(UserText.escaped(host)): \(error.description)")
            }
            let logger = try storeOptions.logger("job-processor.dashboard")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let options = DashboardServer.options(
                JobDashboard.Options(token: token, readOnly: readOnly, jobNames: Array(DemoJobs.modes.keys), crons: DemoJobs.crons()),
                servedOn: host)
            let dashboard = JobDashboard(client: JobClient(store: opened.store, logger: logger), options: options)
            let (host, port) = (host, port)
            let server = Task {
                try await DashboardServer.run(dashboard, host: host, port: port, logger: logger) { port in
                    let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
                    Console.line("dashboard: http://\(shown):\(port)/")
                }
            }
            // SIGTERM and SIGINT arrive through an event loop's signalfd (they are blocked in
            // every thread: see EventLoop.runMain): they stop the server.
            let signals = try EventLoop.startThread(name: "dashboard-signals")
            signals.onSignal { _ in server.cancel() }
            defer { signals.stop() }
            do { try await server.value } catch is CancellationError {}
        }
    }
}
