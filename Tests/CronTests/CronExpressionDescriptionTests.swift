import Testing
import Cron

/// `description` prints a canonical form that parses back to an equal value.
struct CronExpressionDescriptionTests {
    static let canonical: [(String, String)] = [
        ("0 0 * * *", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@hourly", "0 * * * *"),
        ("0 0 ? * SUN,7", "0 0 * * 0"),
        ("*/15 9-17 * * mon-fri", "*/15 9-17 * * 1-5"),
        ("0 */2 * * *", "0 */2 * * *"),
        ("0 0-23/2 * * *", "0 0-22/2 * * *"),
        ("0 0-23 * * *", "0 0-23 * * *"),
        ("0 0 */10,L * 1", "0 0 */10,L * 1"),
        ("0 0 */10,5 * *", "0 0 */10,5 * *"),
        ("0 0 1-31 * 1", "0 0 1-31 * 1"),
        ("0 0 * * 5L,1#2", "0 0 * * 5L,1#2"),
        ("0 0 15,L * *", "0 0 15,L * *"),
        ("30 0 0 * * *", "30 0 0 * * *"),
        ("0 0 0 * * *", "0 0 * * *"),
        ("0 0 1 jan-dec/3 *", "0 0 1 */3 *"),
        ("*/7 * * * *", "*/7 * * * *"),
        ("0 0 * * */3", "0 0 * * */3"),
        ("0 0 * * 0,3,6", "0 0 * * 0-6/3"),
        ("0 0 * * 1,2,3,5", "0 0 * * 1-3,5"),
        ("5,6 * * * *", "5-6 * * * *"),
        ("0 0 * * */2,1", "0 0 * * */2,1"),
    ]

    @Test("canonical forms", arguments: canonical)
    func descriptionIsCanonical(_ text: String, _ expected: String) throws {
        let expression = try CronExpression(text)
        #expect(expression.description == expected)
        let reparsed = try CronExpression(expression.description)
        #expect(reparsed == expression)
        #expect(reparsed.description == expected)
    }
}
