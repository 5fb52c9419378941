import Testing
import Cron

/// Rejected expressions name the field, the offending text and the reason.
struct CronParseErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let expression: String
        let field: CronField
        let text: String
        let code: CronParseError.Code
        var testDescription: String { "\"\(expression)\"" }
    }

    static let cases: [Case] = [
        Case(expression: "0 0 32 * *", field: .dayOfMonth, text: "32", code: .outOfRange),
        Case(expression: "60 * * * *", field: .minute, text: "60", code: .outOfRange),
        Case(expression: "60 * * * * *", field: .second, text: "60", code: .outOfRange),
        Case(expression: "* 24 * * *", field: .hour, text: "24", code: .outOfRange),
        Case(expression: "* * 0 * *", field: .dayOfMonth, text: "0", code: .outOfRange),
        Case(expression: "* * * 13 *", field: .month, text: "13", code: .outOfRange),
        Case(expression: "* * * * 8", field: .dayOfWeek, text: "8", code: .outOfRange),
        Case(expression: "* * * * 99999999999999999999", field: .dayOfWeek, text: "99999999999999999999",
             code: .outOfRange),
        Case(expression: "* * * foo *", field: .month, text: "foo", code: .invalidValue),
        Case(expression: "* * * * funday", field: .dayOfWeek, text: "funday", code: .invalidValue),
        Case(expression: "* * * * MON-", field: .dayOfWeek, text: "", code: .invalidValue),
        Case(expression: "-5 * * * *", field: .minute, text: "", code: .invalidValue),
        Case(expression: "*/0 * * * *", field: .minute, text: "0", code: .invalidStep),
        Case(expression: "*/61 * * * *", field: .minute, text: "61", code: .invalidStep),
        Case(expression: "1/x * * * *", field: .minute, text: "x", code: .invalidStep),
        Case(expression: "5-1 * * * *", field: .minute, text: "5-1", code: .reversedRange),
        Case(expression: "1,,2 * * * *", field: .minute, text: "", code: .emptyItem),
        Case(expression: "? * * * *", field: .minute, text: "?", code: .misplacedSymbol),
        Case(expression: "* * * * L", field: .dayOfWeek, text: "L", code: .misplacedSymbol),
        Case(expression: "* * 5L * *", field: .dayOfMonth, text: "5L", code: .misplacedSymbol),
        Case(expression: "* * L/2 * *", field: .dayOfMonth, text: "L", code: .misplacedSymbol),
        Case(expression: "* L * * *", field: .hour, text: "L", code: .misplacedSymbol),
        Case(expression: "* * 1#2 * *", field: .dayOfMonth, text: "#", code: .misplacedSymbol),
        Case(expression: "* * * * 5#6", field: .dayOfWeek, text: "6", code: .outOfRange),
        Case(expression: "* * * * 5#", field: .dayOfWeek, text: "", code: .outOfRange),
        Case(expression: "* * *", field: .expression, text: "* * *", code: .fieldCount),
        Case(expression: "", field: .expression, text: "", code: .fieldCount),
        Case(expression: "1 2 3 4 5 6 7", field: .expression, text: "1 2 3 4 5 6 7", code: .fieldCount),
        Case(expression: "@reboot", field: .expression, text: "@reboot", code: .unknownMacro),
        Case(expression: "0 0 30 2 *", field: .dayOfMonth, text: "30", code: .neverFires),
        Case(expression: "0 0 31 4,6,9,11 *", field: .dayOfMonth, text: "31", code: .neverFires),
        Case(expression: "0 0 */31 * 5#5", field: .dayOfWeek, text: "5#5", code: .neverFires),
    ]

    @Test("error table", arguments: cases)
    func rejectedExpressionsNameFieldTextAndReason(_ c: Case) {
        #expect {
            _ = try CronExpression(c.expression)
        } throws: { error in
            guard let error = error as? CronParseError else { return false }
            return error.field == c.field && error.text == c.text && error.code == c.code
                && error.expression == c.expression && !error.reason.isEmpty
        }
    }

    @Test func descriptionIsOneReadableLine() {
        let descriptions = [
            "0 0 32 * *": #"day-of-month: 32 is outside 1-31 in "0 0 32 * *""#,
            "* * *": #"expression: "* * *" has 3 fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)"#,
            "0 0 30 2 *": #"day-of-month: 30 never matches a day of the allowed months, so the schedule can never fire in "0 0 30 2 *""#,
            "1,,2 * * * *": #"minute: "" is an empty list item in "1,,2 * * * *""#,
        ]
        for (expression, expected) in descriptions {
            do {
                _ = try CronExpression(expression)
                Issue.record("\(expression) was accepted")
            } catch {
                #expect(error.description == expected)
                #expect(!error.description.contains("\n"))
            }
        }
    }

    @Test func codesAndFieldsPrintTheirNames() {
        #expect(CronParseError.Code.neverFires.description == "neverFires")
        #expect(CronField.dayOfWeek.description == "day-of-week")
    }
}
