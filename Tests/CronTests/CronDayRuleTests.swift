import Testing
@testable import Cron

/// The crontab(5) day rule, `L`, `nL`, `n#k`, leap years and month ends (UTC).
struct CronDayRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let expression: String
        let from: String
        let expected: [String]
        var testDescription: String { "\(expression) from \(from)" }
    }

    static let cases: [Case] = [
        // A day field starting with `*` is unrestricted: both must match (days 1, 11, 21,
        // 31 that are Mondays).
        Case(expression: "0 0 */10 * 1", from: "2026-01-01T00:00:00Z",
             expected: ["2026-05-11", "2026-06-01", "2026-08-31", "2026-09-21", "2026-12-21"]),
        Case(expression: "0 0 */5 * 1#2", from: "2026-01-01T00:00:00Z",
             expected: ["2026-05-11", "2027-01-11"]),
        Case(expression: "0 0 ? * 5", from: "2026-01-01T00:00:00Z", expected: ["2026-01-02", "2026-01-09"]),
        // Both restricted: either may match (first seven days, and every Monday).
        Case(expression: "0 0 1-7 * 1", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-02", "2026-01-03", "2026-01-04", "2026-01-05", "2026-01-06", "2026-01-07",
                        "2026-01-12", "2026-01-19"]),
        Case(expression: "0 0 13 * 5", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-02", "2026-01-09", "2026-01-13", "2026-01-16"]),
        Case(expression: "0 0 L * 5L", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-30", "2026-01-31", "2026-02-27", "2026-02-28"]),
        Case(expression: "0 0 1,15 * 1#2", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-12", "2026-01-15", "2026-02-01", "2026-02-09"]),
        Case(expression: "0 0 1 * 2/3", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-02", "2026-01-06", "2026-01-09", "2026-01-13"]),
        // nL and n#k, including a fifth weekday that only some months have.
        Case(expression: "0 0 * * 0L,1#1", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-05", "2026-01-25", "2026-02-02", "2026-02-22"]),
        Case(expression: "0 0 * 2 1#5", from: "2026-01-01T00:00:00Z", expected: ["2044-02-29", "2072-02-29"]),
        // Leap years: 2100 is not one, 2000 was.
        Case(expression: "0 0 29 2 *", from: "2026-01-01T00:00:00Z", expected: ["2028-02-29", "2032-02-29"]),
        Case(expression: "0 0 29 2 *", from: "2096-03-01T00:00:00Z", expected: ["2104-02-29"]),
        Case(expression: "0 0 29 2 *", from: "1999-01-01T00:00:00Z", expected: ["2000-02-29", "2004-02-29"]),
        Case(expression: "0 0 L 2 *", from: "2026-01-01T00:00:00Z",
             expected: ["2026-02-28", "2027-02-28", "2028-02-29"]),
        Case(expression: "0 0 29 2 */7", from: "2026-01-01T00:00:00Z", expected: ["2032-02-29", "2060-02-29"]),
        // Month ends: months without the day are skipped.
        Case(expression: "0 0 31 * *", from: "2026-01-01T00:00:00Z",
             expected: ["2026-01-31", "2026-03-31", "2026-05-31", "2026-07-31", "2026-08-31", "2026-10-31"]),
        Case(expression: "0 0 30 * *", from: "2026-01-01T00:00:00Z", expected: ["2026-01-30", "2026-03-30"]),
        Case(expression: "0 0 L 4,6 *", from: "2026-01-01T00:00:00Z", expected: ["2026-04-30", "2026-06-30"]),
        Case(expression: "59 23 L 12 *", from: "2026-01-01T00:00:00Z", expected: ["2026-12-31", "2027-12-31"]),
    ]

    @Test("day rule table", arguments: cases)
    func daysMatchByTheCrontabRule(_ c: Case) throws {
        let days = try occurrences(c.expression, from: c.from, count: c.expected.count).map { String($0.prefix(10)) }
        #expect(days == c.expected)
    }

    @Test func matchingDaysOfAMonthFollowTheWeekdayOfItsFirstDay() throws {
        // January 2026 starts on a Thursday (4).
        let rule = try CronExpression("0 0 * * 4").days
        let thursdays = rule.matchingDays(year: 2026, month: 1)
        #expect(thursdays == (1 << 1) | (1 << 8) | (1 << 15) | (1 << 22) | (1 << 29))
    }
}
