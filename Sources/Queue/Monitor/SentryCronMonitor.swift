import Foundation
import BSON
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// A ``CronMonitor`` that reports to Sentry's cron monitors over HTTP, as the Node original
/// did with the Sentry SDK.
///
/// Each check-in is one POST to the project's cron ingestion endpoint, carrying the cron's
/// schedule, time zone, `checkinMargin` and `maxRuntimeInMinutes`, so Sentry creates the
/// monitor (slug: ``monitorSlug(for:)``) on its first check-in and follows changes to it.
/// The exact request is documented in `SentryCheckInRequest.swift`.
///
/// ```swift
/// let monitor = try SentryCronMonitor(dsn: "https://abc123@o1.ingest.sentry.io/42", logger: logger)
/// ```
///
/// Failures (no network, a timeout, a status other than 2xx) are logged at `warning` level
/// with the reason and never reach the caller. Nothing is sent until ``checkIn(_:)`` is called.
/// The requests run on `URLSession`'s own threads; a caller awaits without blocking a thread.
public struct SentryCronMonitor: CronMonitor {
    /// Where check-ins go.
    public let dsn: SentryDSN
    /// The longest a check-in waits for Sentry's answer.
    public let timeout: Duration
    /// Sent as each check-in's `environment` (Sentry keeps one monitor status per
    /// environment); nil: none is sent and Sentry uses `production`.
    public let environment: String?
    private let logger: Logger
    private let http: HTTPSession

    /// A monitor sending to `dsn`, logging its failures to `logger`.
    ///
    /// - Throws: ``CronMonitorError/Code/invalidDSN`` when `dsn` is malformed; the message
    ///   names the part at fault and shows only the start of the public key.
    public init(
        dsn: String, logger: Logger, timeout: Duration = .seconds(5), environment: String? = nil
    ) throws(CronMonitorError) {
        self.init(dsn: try SentryDSN(dsn), logger: logger, timeout: timeout, environment: environment)
    }

    /// A monitor sending to an already parsed `dsn`, logging its failures to `logger`.
    public init(dsn: SentryDSN, logger: Logger, timeout: Duration = .seconds(5), environment: String? = nil) {
        self.dsn = dsn
        self.timeout = timeout
        self.environment = environment
        self.logger = logger
        http = HTTPSession(timeout: timeout)
    }

    /// Sends `checkIn` and returns once Sentry answered, the request failed, ``timeout``
    /// passed or the calling task was cancelled. Failures are logged, never thrown.
    public func checkIn(_ checkIn: CronCheckIn) async {
        let request = SentryCheckInRequest(checkIn, environment: environment)
        var logger = logger
        logger[metadataKey: "cron"] = "\(checkIn.cronName)"
        logger[metadataKey: "monitor_slug"] = "\(request.monitorSlug)"
        logger[metadataKey: "check_in_status"] = "\(checkIn.status)"
        logger[metadataKey: "check_in_id"] = "\(request.body.checkInId)"
        logger[metadataKey: "task_id"] = "\(checkIn.taskId)"
        logger[metadataKey: "sentry_dsn"] = "\(dsn)"

        guard let urlRequest = request.urlRequest(dsn: dsn) else {
            logger.warning("Sentry check-in not sent: its JSON body could not be encoded")
            return
        }
        do {
            let (data, response) = try await http.send(urlRequest, timeout: timeout)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard (200..<300).contains(status) else {
                logger.warning(
                    "Sentry check-in refused: HTTP \(status)",
                    metadata: ["http_status": "\(status)", "response": "\(Self.excerpt(data))"])
                return
            }
            logger.debug("Sentry check-in sent", metadata: ["http_status": "\(status)"])
        } catch {
            logger.warning("Sentry check-in failed: \(Self.reason(error, timeout: timeout))")
        }
    }

    /// Why a request failed, in words; never the error's own description, which may hold the
    /// URL and so the public key.
    static func reason(_ error: any Error, timeout: Duration) -> String {
        if error is CancellationError { return "cancelled" }
        guard let error = error as? URLError else { return "\(type(of: error))" }
        let words: String = switch error.code {
        case .timedOut: "timed out after \(timeout)"
        case .cannotConnectToHost: "could not connect to the host"
        case .cannotFindHost, .dnsLookupFailed: "could not resolve the host"
        case .networkConnectionLost: "the connection was lost"
        case .notConnectedToInternet: "no network"
        case .cancelled: "cancelled"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot: "TLS failed"
        case .badServerResponse, .cannotParseResponse: "bad response from the server"
        default: "network error"
        }
        return "\(words) (URLError \(error.code.rawValue))"
    }

    /// The start of a response body, for logs: Sentry explains refusals in a short JSON body.
    private static func excerpt(_ data: Data) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self)
        return text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
    }
}
