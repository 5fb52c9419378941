import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Queue

/// Building pages: every value from the store goes through ``escape(_:)``; the page frame
/// loads the dashboard's own stylesheet and script, and nothing else.
enum HTML {
    /// `text` safe in element content and in double- or single-quoted attributes.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }

    /// `value` escaped for a URL query (then for HTML by the caller when in an attribute).
    static func query(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A whole page: the navigation, `body`, and the live-update script. `live` names the
    /// events URL the page listens to, nil for a page with no live figures.
    static func page(title: String, base: String, current: String, live: String?, body: String) -> Response {
        let links = [("", "Overview"), ("/jobs", "Jobs"), ("/crons", "Crons")].map { path, label in
            "<a href=\"\(escape(path.isEmpty ? (base.isEmpty ? "/" : base) : base + path))\"\(current == label ? " aria-current=\"page\"" : "")>\(label)</a>"
        }.joined()
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · job dashboard</title>
            <link rel="stylesheet" href="\(escape(base))/assets/dashboard.css"></head>
            <body\(live.map { " data-events=\"\(escape($0))\"" } ?? "")>
            <header><strong>job-processor</strong><nav>\(links)</nav><span class="live" data-live>\(live == nil ? "" : "live")</span></header>
            <main>\(body)</main>
            <script src="\(escape(base))/assets/dashboard.js"></script>
            </body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// An instant as people read it, in UTC: `2026-12-05 23:03:14Z`.
    static func time(_ date: Date?) -> String {
        guard let date else { return "—" }
        return timeFormatter.withLock { $0.string(from: date) }
    }

    /// An instant in `zone`: `2026-12-06 00:03:14 CET`.
    static func time(_ date: Date, in zone: TimeZone) -> String {
        let text = zoneFormatters.withLock { formatters in
            let formatter = formatters[zone.identifier] ?? {
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = zone
                formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
                formatters[zone.identifier] = formatter
                return formatter
            }()
            return formatter.string(from: date)
        }
        return text + " " + (zone.identifier == "GMT" ? "UTC" : zone.abbreviation(for: date) ?? zone.identifier)
    }

    /// A formatter per zone, made once: making one costs more than formatting many dates.
    private static let zoneFormatters = Mutex<[String: DateFormatter]>([:])

    private static let timeFormatter: Mutex<DateFormatter> = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return Mutex(formatter)
    }()

    /// A duration in seconds as people read it: `850 ms`, `1.25 s`, `2 min 5 s`.
    static func duration(_ seconds: TimeInterval) -> String {
        switch seconds {
        case ..<1: return "\(Int((seconds * 1000).rounded())) ms"
        case ..<60: return String(format: "%.2f s", seconds)
        case ..<3600: return "\(Int(seconds) / 60) min \(Int(seconds) % 60) s"
        default: return "\(Int(seconds) / 3600) h \(Int(seconds) % 3600 / 60) min"
        }
    }

    /// A count with thousands separators (`12,345`), `N+` when it reached `limit`.
    static func count(_ value: Int, limit: Int) -> String {
        var digits = String(value.magnitude)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        let text = (value < 0 ? "-" : "") + digits + grouped
        return value >= limit ? text + "+" : text
    }

    /// A zone's name: its identifier, `UTC` for the zone Foundation names `GMT`.
    static func zone(_ zone: TimeZone) -> String {
        zone.identifier == "GMT" ? "UTC" : zone.identifier
    }

    /// A status as a labelled badge.
    static func status(_ status: JobStatus) -> String {
        "<span class=\"status \(status.rawValue)\">\(status.rawValue)</span>"
    }
}
