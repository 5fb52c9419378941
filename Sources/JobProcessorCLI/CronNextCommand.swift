import ArgumentParser
import Cron
import Foundation

/// `job-processor cron next "<expr>" [--tz <zone>] [--from <instant>] [--count N]`: prints the
/// next N occurrences, one per line, in RFC 3339 with seconds and the zone's offset at that
/// instant (`2026-03-29T03:00:00+02:00`).
///
/// A bad expression, unknown zone, bad `--from` or `--count` prints the error on one line to
/// standard error and exits with status 1.
struct CronNextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "Print the next occurrences of a cron expression."
    )

    /// The most occurrences printed (said in `--help` and the README): each is a search, and
    /// a typo of a few zeros must not run for hours or exhaust memory.
    static let maximumCount = 10_000

    @Argument(help: "The cron expression: 5 fields, 6 with leading seconds, or a macro such as @daily.")
    var expression: String

    @Option(name: .long, help: "IANA time zone the expression is read in.")
    var tz: String = "UTC"

    @Option(name: .long, help: "Start instant, an RFC 3339 date-time, e.g. 2026-03-29T00:00:00Z (default: now).")
    var from: String?

    @Option(name: .long, help: "How many occurrences to print: 1 to 10,000.")
    var count: Int = 5

    func run() async throws {
        try await reportingFailures {
            for line in try occurrences() {
                print(line)
            }
        }
    }

    private func occurrences() throws(CommandFailure) -> [String] {
        let parsed: CronExpression
        do {
            parsed = try CronExpression(expression)
        } catch {
            throw CommandFailure(error.description)
        }
        guard let zone = TimeZone(identifier: tz) else {
            throw CommandFailure("--tz \(UserText.quoted(tz)): not a known IANA time zone")
        }
        guard (1...Self.maximumCount).contains(count) else {
            throw CommandFailure("--count \(count): expected 1 to \(Self.maximumCount)")
        }
        var start = Date()
        if let from {
            do {
                start = try RFC3339Parser.parse(from)
            } catch {
                throw CommandFailure("--from \(UserText.escaped(from)): \(error)")
            }
        }
        return parsed.next(after: start, in: zone, count: count).map { Self.formatRFC3339($0, in: zone) }
    }

    /// `2026-03-29T03:00:00+02:00`: local time in `zone` and its offset at `date` (offsets
    /// are shown as hours and minutes; `+00:00` rather than `Z`).
    static func formatRFC3339(_ date: Date, in zone: TimeZone) -> String {
        let offset = zone.secondsFromGMT(for: date)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let fields = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let sign = offset < 0 ? "-" : "+"
        let local = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d",
            fields.year ?? 0, fields.month ?? 0, fields.day ?? 0, fields.hour ?? 0, fields.minute ?? 0,
            fields.second ?? 0)
        return local + sign + String(format: "%02d:%02d", abs(offset) / 3600, abs(offset) / 60 % 60)
    }
}
