import HTTPTypes
import Hummingbird
import Logging
import Prometheus

/// Serves `/metrics` in Prometheus' text format from a swift-prometheus registry: what a worker
/// exposes for scraping (`job-processor worker --metrics-port`). Any other path is a 404.
///
/// ```swift
/// let registry = PrometheusCollectorRegistry()
/// MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
/// try await MetricsEndpoint(registry: registry).run(host: "127.0.0.1", port: 9090, logger: logger)
/// ```
public struct MetricsEndpoint: Sendable {
    /// The registry whose metrics are served.
    public let registry: PrometheusCollectorRegistry

    /// An endpoint serving `registry`'s metrics.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Adds `GET /metrics` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let registry = registry
        router.get("metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16_384)
            registry.emit(into: &bytes)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// Serves `/metrics` on `host`:`port` until the calling task is cancelled. `port` 0 takes
    /// a free port; `onListening` is told the port once the server listens.
    public func run(
        host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let router = Router()
        addRoutes(to: router)
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? port) },
            logger: DashboardServer.serverLogger(logger))
        try await application.run()
    }
}
