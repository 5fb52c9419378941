import Foundation
import BSON
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP request of one check-in, as Sentry's cron ingestion endpoint takes it.
///
/// Shape, from Sentry's documentation ("Crons: HTTP", "Legacy endpoint migration" and the SDK
/// check-in payload at develop.sentry.dev/sdk/check-ins):
///
/// ```
/// POST <scheme>://<host>/api/<project id>/cron/<monitor slug>/<public key>/
/// Content-Type: application/json
///
/// {"check_in_id": "<32 hex digits>", "status": "in_progress" | "ok" | "error",
///  "duration": <seconds, ok/error only>, "environment": "<name, if configured>",
///  "monitor_config": {"schedule": {"type": "crontab", "value": "<expression>"},
///                     "checkin_margin": <minutes>, "max_runtime": <minutes>,
///                     "timezone": "<IANA id>"}}
/// ```
///
/// Absent values are left out rather than sent as null. The monitor configuration rides on
/// every check-in, so Sentry creates the monitor on the first one and follows later changes
/// of the schedule (an "upsert"). Sentry answers 202 with no body.
struct SentryCheckInRequest {
    /// The JSON body.
    struct Body: Encodable {
        struct MonitorConfig: Encodable {
            struct Schedule: Encodable {
                var type = "crontab"
                var value: String
            }

            var schedule: Schedule
            var checkinMargin: Int?
            var maxRuntime: Int?
            var timezone: String

            enum CodingKeys: String, CodingKey {
                case schedule, timezone
                case checkinMargin = "checkin_margin"
                case maxRuntime = "max_runtime"
            }
        }

        var checkInId: String
        var status: String
        var duration: Double?
        var environment: String?
        var monitorConfig: MonitorConfig

        enum CodingKeys: String, CodingKey {
            case status, duration, environment
            case checkInId = "check_in_id"
            case monitorConfig = "monitor_config"
        }
    }

    /// The monitor the check-in is for.
    let monitorSlug: String
    let body: Body

    init(_ checkIn: CronCheckIn, environment: String?) {
        monitorSlug = SentryCronMonitor.monitorSlug(for: checkIn.cronName)
        body = Body(
            checkInId: checkIn.checkInId.uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            status: checkIn.status.rawValue,
            duration: checkIn.status.isFinal ? checkIn.duration.map(Self.seconds) : nil,
            environment: environment,
            monitorConfig: .init(
                schedule: .init(value: checkIn.schedule),
                checkinMargin: checkIn.checkinMargin,
                maxRuntime: checkIn.maxRuntimeInMinutes,
                timezone: checkIn.timeZone.identifier))
    }

    /// The request to `dsn`'s endpoint, or nil if the body cannot be encoded (it holds only
    /// strings and finite numbers, so in practice it always can).
    func urlRequest(dsn: SentryDSN) -> URLRequest? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(body) else { return nil }
        var request = URLRequest(url: dsn.checkInURL(monitorSlug: monitorSlug))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("job-processor-swift", forHTTPHeaderField: "User-Agent")
        request.httpBody = data
        return request
    }

    /// `duration` in seconds, with sub-second precision; a negative duration counts as 0.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return max(0, Double(seconds) + Double(attoseconds) / 1e18)
    }
}

extension SentryCronMonitor {
    /// The Sentry monitor slug of a cron: its name lowercased, accents removed, every run of
    /// `-` and of characters other than `a-z`, `0-9` and `_` replaced by one `-`, leading and
    /// trailing `-` trimmed, cut to 50 characters. Sentry refuses an empty or all-digit slug:
    /// a name with nothing left gives `cron`, an all-digit one gets a `cron-` prefix.
    ///
    /// Sentry identifies monitors by slug, so two cron names with the same slug share one
    /// monitor: keep cron names distinct in their letters and digits.
    ///
    /// Complexity: O(n) in the name's length.
    public static func monitorSlug(for cronName: String) -> String {
        let folded = cronName.folding(options: .diacriticInsensitive, locale: nil).lowercased()
        var slug = ""
        for scalar in folded.unicodeScalars {
            switch scalar {
            case "a"..."z", "0"..."9", "_":
                slug.unicodeScalars.append(scalar)
            default:
                if !slug.isEmpty, slug.last != "-" { slug.append("-") }
            }
        }
        slug = String(slug.prefix(50))
        while slug.last == "-" { slug.removeLast() }
        // Only ASCII letters, digits, "_" and "-" are left. Empty counts as all-digit: "cron".
        if slug.allSatisfy(\.isNumber) { slug = String(("cron-" + slug).prefix(50)) }
        while slug.last == "-" { slug.removeLast() }
        return slug
    }
}
