import Foundation
import Testing
@testable import Cron

/// Fuzzing: random strings never crash the parser; every accepted expression round-trips
/// through `description`; `next` is strictly increasing.
struct CronExpressionPropertyTests {
    static let zones = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"].map(zone)

    /// Pieces that make up cron text, so that a good share of random strings parse.
    static let tokens = [
        "*", "*", "?", "/", "-", ",", "L", "l", "#", "@", " ", " ", "\t", "0", "1", "2", "3", "5", "7", "10",
        "15", "23", "29", "30", "31", "59", "60", "99", "JAN", "jul", "Dec", "MON", "fri", "sun", "x", "é",
        "daily", "hourly", "*/", "1-5", "L,", "5L", "1#2", "0#5",
    ]

    /// A random field for position `index` (0 = seconds ... 5 = day-of-week): mostly
    /// well-formed items within range, sometimes random tokens.
    static func field(_ index: Int, _ random: inout SplitMix64) -> String {
        if Int.random(in: 0..<12, using: &random) == 0 {
            return (0..<Int.random(in: 1...4, using: &random))
                .map { _ in tokens.randomElement(using: &random)! }.joined()
        }
        let bounds = [0...59, 0...59, 0...23, 1...31, 1...12, 0...7][index]
        let items = (0..<Int.random(in: 1...3, using: &random)).map { _ -> String in
            let a = Int.random(in: bounds, using: &random)
            let b = min(bounds.upperBound, a + Int.random(in: 0...10, using: &random))
            switch Int.random(in: 0..<8, using: &random) {
            case 0: return index == 3 || index == 5 ? ["*", "?"].randomElement(using: &random)! : "*"
            case 1: return "*/\(Int.random(in: 1...7, using: &random))"
            case 2: return "\(a)-\(b)"
            case 3: return "\(a)-\(b)/\(Int.random(in: 1...7, using: &random))"
            case 4: return "\(a)/\(Int.random(in: 1...7, using: &random))"
            case 5 where index == 3: return "L"
            case 5 where index == 5: return "\(a)L"
            case 6 where index == 5: return "\(a)#\(Int.random(in: 1...5, using: &random))"
            default: return "\(a)"
            }
        }
        return items.joined(separator: ",")
    }

    static func randomText(_ random: inout SplitMix64) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0:
            // Raw bytes, including invalid UTF-8 repaired to U+FFFD and control characters.
            let bytes = (0..<Int.random(in: 0...24, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            return String(decoding: bytes, as: UTF8.self)
        case 1:
            return (0..<Int.random(in: 0...12, using: &random))
                .map { _ in tokens.randomElement(using: &random)! }.joined()
        default:
            let count = Int.random(in: 0..<20, using: &random) == 0 ? Int.random(in: 1...7, using: &random)
                : Int.random(in: 5...6, using: &random)
            let first = count == 6 ? 0 : 1
            return (0..<count).map { field(min(5, first + $0), &random) }.joined(separator: " ")
        }
    }

    /// 4 × 25,000 strings, split so that the chunks run in parallel.
    @Test(arguments: 0..<4)
    func randomStringsNeverCrashAndAcceptedOnesRoundTripAndIncrease(chunk: Int) throws {
        var random = SplitMix64(seed: 0xC0FFEE &+ UInt64(chunk))
        var accepted = 0
        var checkedNext = 0
        for round in 0..<25_000 {
            let text = Self.randomText(&random)
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                #expect(!error.description.isEmpty && !error.description.contains("\n"), "\(text.debugDescription)")
                continue
            }
            accepted += 1
            let reparsed = try CronExpression(expression.description)
            #expect(reparsed == expression, "\(text.debugDescription) -> \(expression.description)")
            #expect(reparsed.description == expression.description)

            if round % 4 == 0 {
                checkedNext += 1
                let tz = Self.zones.randomElement(using: &random)!
                let start = Date(timeIntervalSince1970: Double(Int.random(in: 0...4_100_000_000, using: &random)))
                let times = expression.next(after: start, in: tz, count: 4)
                #expect(times.count == 4, "\(expression) in \(tz.identifier) after \(start)")
                #expect(zip([start] + times, times).allSatisfy { $0 < $1 }, "\(expression) in \(tz.identifier)")
            }
        }
        #expect(accepted >= 5_000)
        #expect(checkedNext >= 1_250)
    }

    @Test func fixtureExpressionsRoundTripThroughDescription() throws {
        let lines = try CronFixtureTests.lines("croniter-next.jsonl")
        for line in lines.dropFirst() {
            let text = try #require((line as? [Any])?.first as? String)
            let expression = try CronExpression(text)
            #expect(try CronExpression(expression.description) == expression, "\(text)")
        }
    }
}
