import Foundation
import Testing
@testable import Cron

/// The DST rules: skipped local times fire at the first instant after the jump; repeated
/// local times fire once for fixed hours and at every occurrence for `*`/`*/n` hours.
struct CronDaylightSavingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let expression: String
        let zone: String
        let from: String
        let expected: [String]
        var testDescription: String { "\(expression) in \(zone) from \(from)" }
    }

    static let cases: [Case] = [
        // Europe/Paris: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00.
        Case(expression: "30 2 * * *", zone: "Europe/Paris", from: "2026-03-28T00:00:00Z",
             expected: ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
        Case(expression: "0,30 2 * * *", zone: "Europe/Paris", from: "2026-03-28T12:00:00Z",
             expected: ["2026-03-29T03:00:00+02:00", "2026-03-30T02:00:00+02:00"]),
        Case(expression: "5 * * * *", zone: "Europe/Paris", from: "2026-03-28T23:30:00Z",
             expected: ["2026-03-29T01:05:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:05:00+02:00"]),
        Case(expression: "*/15 * * * *", zone: "Europe/Paris", from: "2026-03-29T00:30:00Z",
             expected: ["2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"]),
        Case(expression: "30 2 * * *", zone: "Europe/Paris", from: "2026-10-24T12:00:00Z",
             expected: ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
        Case(expression: "*/20 2 * * *", zone: "Europe/Paris", from: "2026-10-24T12:00:00Z",
             expected: ["2026-10-25T02:00:00+02:00", "2026-10-25T02:20:00+02:00", "2026-10-25T02:40:00+02:00",
                        "2026-10-26T02:00:00+01:00"]),
        Case(expression: "30 * * * *", zone: "Europe/Paris", from: "2026-10-24T23:00:00Z",
             expected: ["2026-10-25T01:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
                        "2026-10-25T03:30:00+01:00"]),
        Case(expression: "0 */2 * * *", zone: "Europe/Paris", from: "2026-10-24T23:30:00Z",
             expected: ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T04:00:00+01:00"]),
        // Starting inside the repeated hour, after its first pass: a fixed hour does not fire again.
        Case(expression: "30 2 * * *", zone: "Europe/Paris", from: "2026-10-25T00:45:00Z",
             expected: ["2026-10-26T02:30:00+01:00"]),
        // America/New_York: 2026-03-08 02:00 -> 03:00, 2026-11-01 02:00 -> 01:00.
        Case(expression: "0 2 * * *", zone: "America/New_York", from: "2026-03-07T00:00:00Z",
             expected: ["2026-03-07T02:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"]),
        Case(expression: "30 1 * * *", zone: "America/New_York", from: "2026-10-31T12:00:00Z",
             expected: ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
        Case(expression: "*/30 * * * *", zone: "America/New_York", from: "2026-11-01T05:00:00Z",
             expected: ["2026-11-01T01:30:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00",
                        "2026-11-01T02:00:00-05:00"]),
        Case(expression: "0 30 2 * * *", zone: "America/New_York", from: "2026-03-08T06:00:00Z",
             expected: ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
        // Australia/Lord_Howe: 30-minute shifts; 2026-04-05 02:00 -> 01:30, 2026-10-04 02:00 -> 02:30.
        Case(expression: "40 1 * * *", zone: "Australia/Lord_Howe", from: "2026-04-04T00:00:00Z",
             expected: ["2026-04-05T01:40:00+11:00", "2026-04-06T01:40:00+10:30"]),
        Case(expression: "*/15 * * * *", zone: "Australia/Lord_Howe", from: "2026-04-04T14:00:00Z",
             expected: ["2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00",
                        "2026-04-05T01:30:00+10:30", "2026-04-05T01:45:00+10:30", "2026-04-05T02:00:00+10:30"]),
        Case(expression: "10 2 * * *", zone: "Australia/Lord_Howe", from: "2026-10-03T00:00:00Z",
             expected: ["2026-10-04T02:30:00+11:00", "2026-10-05T02:10:00+11:00"]),
        Case(expression: "*/15 * * * *", zone: "Australia/Lord_Howe", from: "2026-10-03T14:30:00Z",
             expected: ["2026-10-04T01:15:00+10:30", "2026-10-04T01:30:00+10:30", "2026-10-04T01:45:00+10:30",
                        "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"]),
        // Zones without DST.
        Case(expression: "30 2 * * *", zone: "Asia/Kolkata", from: "2026-03-28T00:00:00Z",
             expected: ["2026-03-29T02:30:00+05:30", "2026-03-30T02:30:00+05:30"]),
        Case(expression: "0 0 1 * *", zone: "Asia/Kolkata", from: "2026-01-01T00:00:00Z",
             expected: ["2026-02-01T00:00:00+05:30", "2026-03-01T00:00:00+05:30"]),
        Case(expression: "30 2 * * *", zone: "UTC", from: "2026-03-28T12:00:00Z",
             expected: ["2026-03-29T02:30:00+00:00", "2026-03-30T02:30:00+00:00"]),
    ]

    @Test("DST table: skipped times fire after the jump, repeated times per the hour rule", arguments: cases)
    func firesAccordingToTheDaylightSavingRules(_ c: Case) throws {
        #expect(try occurrences(c.expression, in: c.zone, from: c.from, count: c.expected.count) == c.expected)
    }

    @Test("*/15 fires every 15 real minutes through both changes", arguments: [
        ("Europe/Paris", "2026-03-28T22:00:00Z"), ("Europe/Paris", "2026-10-24T22:00:00Z"),
        ("America/New_York", "2026-03-08T04:00:00Z"), ("America/New_York", "2026-11-01T03:00:00Z"),
        ("Australia/Lord_Howe", "2026-04-04T13:00:00Z"), ("Australia/Lord_Howe", "2026-10-03T13:00:00Z"),
    ])
    func quarterHourlyKeepsARealFifteenMinuteRhythm(zoneName: String, from: String) throws {
        let times = try CronExpression("*/15 * * * *").next(after: instant(from), in: zone(zoneName), count: 40)
        let gaps = Set(zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) })
        #expect(times.count == 40)
        #expect(gaps == [900])
    }

    @Test func fixedHourFiresExactlyOnceOnEveryDayAcrossAYearOfChanges() throws {
        for name in ["Europe/Paris", "America/New_York", "Australia/Lord_Howe"] {
            let tz = zone(name)
            for expression in ["30 2 * * *", "45 1 * * *", "0 2 * * *"] {
                let times = try CronExpression(expression).next(after: instant("2026-01-01T00:00:00Z"), in: tz, count: 365)
                let days = Set(times.map { rfc3339($0, in: tz).prefix(10) })
                #expect(days.count == 365, "\(expression) in \(name)")
            }
        }
    }
}
