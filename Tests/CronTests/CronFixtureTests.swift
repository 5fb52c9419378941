import Foundation
import Testing
@testable import Cron

/// Compares with croniter (PyPI), an independent implementation: see
/// Fixtures/generate_croniter_fixture.py for how the fixture was made and which cases were
/// left out, and why.
struct CronFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Decoded JSON lines of a fixture file, the header first.
    static func lines(_ name: String) throws -> [Any] {
        let text = try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8))
        }
    }

    /// Our next occurrences as Unix seconds.
    static func ours(_ expression: CronExpression, zone: TimeZone, start: Int, count: Int) -> [Int] {
        expression.next(after: Date(timeIntervalSince1970: Double(start)), in: zone, count: count)
            .map { Int($0.timeIntervalSince1970) }
    }

    @Test func agreesWithCroniterOnEveryKeptCase() throws {
        let lines = try Self.lines("croniter-next.jsonl")
        let header = try #require(lines.first as? [String: Any])
        let zones = try #require(header["zones"] as? [String]).map(zone)
        let count = try #require(header["count"] as? Int)
        var checked = 0
        var mismatches: [String] = []
        for line in lines.dropFirst() {
            let entry = try #require(line as? [Any])
            let text = try #require(entry[0] as? String)
            let cases = try #require(entry[1] as? [[Int]])
            let expression = try CronExpression(text)
            for c in cases {
                let start = c[1]
                var expected: [Int] = []
                var last = start
                for delta in c[2...] {
                    last += delta
                    expected.append(last)
                }
                let got = Self.ours(expression, zone: zones[c[0]], start: start, count: count)
                checked += 1
                if got != expected && mismatches.count < 20 {
                    mismatches.append("\(text) in \(zones[c[0]].identifier) after \(start): \(got) != croniter \(expected)")
                }
            }
        }
        #expect(checked == header["cases"] as? Int)
        #expect(checked >= 15_000)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    }

    @Test func everyExcludedCaseIsOneWhereCroniterDepartsFromOurRules() throws {
        let lines = try Self.lines("croniter-excluded.jsonl")
        let known: Set = [
            "fixed-hour-repeat", "star-hour-gap-skip", "star-hour-repeat-skip", "gap-shift-keeps-seconds",
            "nth-weekday-intersect",
        ]
        var agreeing: [String] = []
        for line in lines.dropFirst() {
            let entry = try #require(line as? [String: Any])
            let text = try #require(entry["expression"] as? String)
            let reason = try #require(entry["reason"] as? String)
            let croniter = try #require(entry["croniter"] as? [Int])
            let start = try #require(entry["start"] as? Int)
            let zoneName = try #require(entry["zone"] as? String)
            #expect(known.contains(reason), "unknown reason \(reason)")
            let got = Self.ours(try CronExpression(text), zone: zone(zoneName), start: start, count: croniter.count)
            if got == croniter {
                agreeing.append("\(reason): \(text) in \(zoneName) after \(start)")
            }
        }
        #expect(lines.count > 1)
        #expect(agreeing.isEmpty, "\(agreeing.count) excluded cases agree: \(agreeing.prefix(10))")
    }
}
