import Foundation
import Testing
@testable import Cron

/// Every syntax element, shown by the times it fires at (UTC, from Thursday 2026-01-01).
struct CronExpressionSyntaxTests {
    static let from = "2026-01-01T00:00:00Z"

    static let table: [(String, [String])] = [
        ("* * * * *", ["2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00"]),
        ("5 * * * *", ["2026-01-01T00:05:00+00:00", "2026-01-01T01:05:00+00:00"]),
        ("5,10,50 * * * *", ["2026-01-01T00:05:00+00:00", "2026-01-01T00:10:00+00:00",
                             "2026-01-01T00:50:00+00:00", "2026-01-01T01:05:00+00:00"]),
        ("10-12 * * * *", ["2026-01-01T00:10:00+00:00", "2026-01-01T00:11:00+00:00",
                           "2026-01-01T00:12:00+00:00", "2026-01-01T01:10:00+00:00"]),
        ("*/20 * * * *", ["2026-01-01T00:20:00+00:00", "2026-01-01T00:40:00+00:00", "2026-01-01T01:00:00+00:00"]),
        ("10-40/15 * * * *", ["2026-01-01T00:10:00+00:00", "2026-01-01T00:25:00+00:00",
                              "2026-01-01T00:40:00+00:00", "2026-01-01T01:10:00+00:00"]),
        ("50/5 * * * *", ["2026-01-01T00:50:00+00:00", "2026-01-01T00:55:00+00:00", "2026-01-01T01:50:00+00:00"]),
        ("0 9-17/4 * * *", ["2026-01-01T09:00:00+00:00", "2026-01-01T13:00:00+00:00",
                            "2026-01-01T17:00:00+00:00", "2026-01-02T09:00:00+00:00"]),
        ("0 0 1 jan,JUL *", ["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
        ("0 0 1 Mar-may *", ["2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00",
                             "2026-05-01T00:00:00+00:00", "2027-03-01T00:00:00+00:00"]),
        ("0 0 1 */5 *", ["2026-06-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
        ("0 0 * * SUN", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ("0 0 * * 0", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ("0 0 * * 7", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ("0 0 * * 5-7", ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00",
                         "2026-01-04T00:00:00+00:00", "2026-01-09T00:00:00+00:00"]),
        ("0 0 * * mon-wed", ["2026-01-05T00:00:00+00:00", "2026-01-06T00:00:00+00:00",
                             "2026-01-07T00:00:00+00:00", "2026-01-12T00:00:00+00:00"]),
        ("0 0 * * 1/2", ["2026-01-02T00:00:00+00:00", "2026-01-05T00:00:00+00:00", "2026-01-07T00:00:00+00:00"]),
        ("0 0 ? * 5", ["2026-01-02T00:00:00+00:00", "2026-01-09T00:00:00+00:00"]),
        ("0 0 1 * ?", ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]),
        ("0 0 L * *", ["2026-01-31T00:00:00+00:00", "2026-02-28T00:00:00+00:00",
                       "2026-03-31T00:00:00+00:00", "2026-04-30T00:00:00+00:00"]),
        ("0 0 * * 5L", ["2026-01-30T00:00:00+00:00", "2026-02-27T00:00:00+00:00", "2026-03-27T00:00:00+00:00"]),
        ("0 0 * * 1#2", ["2026-01-12T00:00:00+00:00", "2026-02-09T00:00:00+00:00", "2026-03-09T00:00:00+00:00"]),
        ("0 0 * * FRI#5", ["2026-01-30T00:00:00+00:00", "2026-05-29T00:00:00+00:00", "2026-07-31T00:00:00+00:00"]),
        ("@yearly", ["2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00"]),
        ("@annually", ["2027-01-01T00:00:00+00:00"]),
        ("@monthly", ["2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"]),
        ("@weekly", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),
        ("@daily", ["2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"]),
        ("@midnight", ["2026-01-02T00:00:00+00:00"]),
        ("@HOURLY", ["2026-01-01T01:00:00+00:00", "2026-01-01T02:00:00+00:00"]),
        ("*/15 * * * * *", ["2026-01-01T00:00:15+00:00", "2026-01-01T00:00:30+00:00",
                            "2026-01-01T00:00:45+00:00", "2026-01-01T00:01:00+00:00"]),
        ("30 0 12 * * *", ["2026-01-01T12:00:30+00:00", "2026-01-02T12:00:30+00:00"]),
        (" 0\t0  * * *  ", ["2026-01-02T00:00:00+00:00"]),
    ]

    @Test("syntax table", arguments: table)
    func eachSyntaxElementFiresWhereItShould(expression: String, expected: [String]) throws {
        #expect(try occurrences(expression, from: Self.from, count: expected.count) == expected)
    }

    @Test("equivalent spellings", arguments: [
        ("0 0 * * 7", "0 0 * * 0"), ("0 0 * * sun", "0 0 * * 0"), ("0 0 * * Sun-Sat", "0 0 * * 0-6"),
        ("@daily", "0 0 * * *"), ("@midnight", "@daily"), ("@yearly", "@annually"), ("@HOURLY", "0 * * * *"),
        ("0 0 ? * *", "0 0 * * *"), ("0 0 * * ?", "0 0 * * *"), ("0 0 1 JAN *", "0 0 1 1 *"),
        ("0 0 0 * * *", "0 0 * * *"), ("*/15 * * * *", "0,15,30,45 * * * *"), ("0 0 * * 7L", "0 0 * * 0L"),
        ("0 0 * * 7#1", "0 0 * * sun#1"), ("0-59 * * * *", "* * * * *"),
    ])
    func equivalentSpellingsParseToEqualValues(_ a: String, _ b: String) throws {
        let first = try CronExpression(a)
        let second = try CronExpression(b)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
    }

    @Test("spellings that differ in meaning", arguments: [
        // Day rule: `*` leaves day-of-month unrestricted, `1-31` restricts it (then OR).
        ("0 0 * * 1", "0 0 1-31 * 1"),
        // Hour rule: `*` fires at both occurrences of a repeated hour, `0-23` at the first.
        ("0 * * * *", "0 0-23 * * *"),
    ])
    func spellingsWithDifferentMeaningsAreNotEqual(_ a: String, _ b: String) throws {
        #expect(try CronExpression(a) != CronExpression(b))
    }

    @Test func nextAfterAFractionalSecondIsTheNextWholeMatch() throws {
        let expression = try CronExpression("* * * * * *")
        let start = instant("2026-01-01T00:00:00Z").addingTimeInterval(0.5)
        #expect(expression.next(after: start, in: zone("UTC")) == instant("2026-01-01T00:00:01Z"))
    }

    @Test func nextIsStrictlyAfterAMatchingStart() throws {
        let expression = try CronExpression("0 0 * * *")
        #expect(expression.next(after: instant("2026-01-01T00:00:00Z"), in: zone("UTC"))
            == instant("2026-01-02T00:00:00Z"))
    }

    @Test func countZeroAndNonFiniteStartsGiveNothing() throws {
        let expression = try CronExpression("* * * * *")
        #expect(expression.next(after: instant(Self.from), in: zone("UTC"), count: 0).isEmpty)
        #expect(expression.next(after: Date(timeIntervalSince1970: .infinity), in: zone("UTC")) == nil)
    }
}
