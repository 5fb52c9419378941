import Foundation
import Testing
@testable import Cron

/// Fuzzing the public parser: random strings over the cron alphabet, arbitrary Unicode, and
/// mutations of valid expressions (characters inserted, deleted or replaced, fields duplicated
/// or dropped, extreme numbers, ranges and steps). No input may trap; every refusal is a
/// one-line `CronParseError` quoting the input; every accepted expression round-trips through
/// its description and answers `next` (from ordinary and extreme start dates) without trapping.
///
/// Each chunk has its own SplitMix64 seed, printed in every failure with the round, so a
/// failure replays with `CronFuzzTests.input(seed:round:)`.
struct CronFuzzTests {
    static let chunks = 4
    static let roundsPerChunk = 25_000
    /// Next-time searches are the expensive part: done for one accepted input in this many.
    static let nextEvery = 32
    static let zones = ["UTC", "Australia/Lord_Howe"].map(zone)

    /// Valid expressions to mutate: the croniter fixture's, and every syntax element.
    static let seeds: [String] = {
        let builtIn = [
            "* * * * *", "*/15 * * * * *", "0 0 1 1 *", "0 9-17/4 * * MON-FRI", "0 0 L * *", "0 0 * * 5L",
            "0 0 * * 1#2", "0 0 ? * 5", "0 0 1 * ?", "30 0 12 * * *", "0 0 1 jan,JUL *", "@daily", "@yearly",
            "@HOURLY", "50/5 * * * *", "0 0 29 2 *", "0 0 31 * 7", "0-59/7 */5 1-31/3 */2 0-7",
        ]
        let fixture = (try? CronFixtureTests.lines("croniter-next.jsonl").dropFirst()
            .compactMap { ($0 as? [Any])?.first as? String }) ?? []
        return builtIn + fixture
    }()

    static let alphabet = Array("0123456789*/,-?#@LlWw ,\t*/-0159JANFEBDECMONSUNjanmonfri".unicodeScalars)

    /// Items and numbers at or past the edges of every field and of `Int`, `UInt32`, `UInt64`.
    static let extremes = [
        "99999999999999999999", "18446744073709551616", "9223372036854775807", "9223372036854775808",
        "4294967296", "2147483648", "1000000", "1000001", "0", "00", "000000000000000000000000000001", "-1",
        "*/0", "1-0", "59-0", "0-59/4294967296", "*/9223372036854775807", "*/18446744073709551615",
        "0-59/99999999999999999999", "7L", "0L", "8L", "99999999999999999999L", "0#0", "7#5", "8#1", "0#6",
        "1#99999999999999999999", "L-3", "L/1", "L#1", "-", "/", "#", ",", "1-", "-1", "1/", "/1", "1#",
        "#1", "LL", "5#5#5", "1-2-3", "1/2/3", "*/*", "**", "??", "?/2", "*-5", "JAN-DEC/13", "SUN-SAT/8",
        "@", "@@daily", "@daily ",
    ]

    @Test(arguments: 0..<chunks)
    func parserNeverTrapsAndRefusesWithOneLineErrors(chunk: Int) throws {
        let seed = 0xF022_C20D &+ UInt64(chunk)
        var random = SplitMix64(seed: seed)
        var accepted = 0
        var searched = 0
        for round in 0..<Self.roundsPerChunk {
            let text = Self.input(&random)
            let context = { "seed \(seed) round \(round): \(text.debugDescription)" }
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                let message = error.description
                #expect(!message.isEmpty && !message.contains("\n") && !message.contains("\r"), "\(context())")
                #expect(error.expression == text, "\(context())")
                continue
            }
            accepted += 1
            #expect(try CronExpression(expression.description) == expression, "\(context())")
            if accepted % Self.nextEvery == 0 {
                searched += 1
                let tz = Self.zones[searched % Self.zones.count]
                let start = Self.start(&random)
                let times = expression.next(after: start, in: tz, count: 2)
                #expect(zip([start] + times, times).allSatisfy { $0 < $1 }, "\(context()) in \(tz.identifier) after \(start)")
            }
        }
        // The mix must exercise both paths: mostly refusals, but many acceptances.
        #expect(accepted >= Self.roundsPerChunk / 8, "seed \(seed): only \(accepted) accepted")
        #expect(searched >= 50, "seed \(seed)")
    }

    /// The input of `round` in the chunk seeded `seed`: to replay a failure.
    static func input(seed: UInt64, round: Int) -> String {
        var random = SplitMix64(seed: seed)
        for _ in 0..<round { _ = input(&random) }
        return input(&random)
    }

    static func input(_ random: inout SplitMix64) -> String {
        switch Int.random(in: 0..<10, using: &random) {
        case 0:
            return String(String.UnicodeScalarView((0..<Int.random(in: 0...40, using: &random)).map { _ in
                alphabet.randomElement(using: &random)!
            }))
        case 1:
            return String(String.UnicodeScalarView((0..<Int.random(in: 0...20, using: &random)).map { _ in
                anyScalar(&random)
            }))
        case 2:
            let count = Int.random(in: 0...8, using: &random)
            return (0..<count).map { _ in extremes.randomElement(using: &random)! }.joined(separator: " ")
        default:
            // Some seeds unchanged, so that valid expressions get their next times searched too.
            var text = seeds.randomElement(using: &random)!
            for _ in 0..<[0, 1, 1, 2, 4].randomElement(using: &random)! {
                text = mutate(text, &random)
            }
            return text
        }
    }

    /// One random edit of `text`.
    static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
        var scalars = Array(text.unicodeScalars)
        var fields = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let position = Int.random(in: 0...scalars.count, using: &random)
        switch Int.random(in: 0..<8, using: &random) {
        case 0:
            let scalar = Bool.random(using: &random) ? alphabet.randomElement(using: &random)! : anyScalar(&random)
            scalars.insert(scalar, at: position)
        case 1 where !scalars.isEmpty:
            scalars.remove(at: min(position, scalars.count - 1))
        case 2 where !scalars.isEmpty:
            scalars[min(position, scalars.count - 1)] = alphabet.randomElement(using: &random)!
        case 3:
            let index = Int.random(in: 0..<fields.count, using: &random)
            fields.insert(fields[index], at: index)
            return fields.joined(separator: " ")
        case 4 where fields.count > 1:
            fields.remove(at: Int.random(in: 0..<fields.count, using: &random))
            return fields.joined(separator: " ")
        case 5:
            // A field replaced by an extreme item, or an extreme item appended to its list.
            let index = Int.random(in: 0..<fields.count, using: &random)
            let extreme = extremes.randomElement(using: &random)!
            fields[index] = Bool.random(using: &random) ? extreme : fields[index] + "," + extreme
            return fields.joined(separator: " ")
        case 6:
            // Every number in the text replaced by one extreme number.
            let number = ["99999999999999999999", "4294967296", "9223372036854775808", "0", "60", "32"]
                .randomElement(using: &random)!
            return text.split(whereSeparator: \.isNumber).joined(separator: number)
        default:
            scalars.insert(contentsOf: extremes.randomElement(using: &random)!.unicodeScalars, at: position)
        }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Any Unicode scalar, weighted towards the troublesome: controls, separators, combining
    /// marks, digits of other scripts, full-width forms, and the rest of the planes.
    static func anyScalar(_ random: inout SplitMix64) -> Unicode.Scalar {
        let ranges: [ClosedRange<UInt32>] = [
            0x00...0x7F, 0x80...0x9F, 0x300...0x36F, 0x660...0x669, 0x2028...0x2029, 0xFF10...0xFF5A,
            0xFEFF...0xFEFF, 0x1F600...0x1F64F, 0x00...0xD7FF, 0xE000...0x10FFFF,
        ]
        let range = ranges.randomElement(using: &random)!
        return Unicode.Scalar(UInt32.random(in: range, using: &random)) ?? "?"
    }

    /// A start instant: usually between 1970 and 2100, sometimes at the edges of what `next`
    /// accepts (years 1 and 9999, ±10^13 s) or beyond them (infinite, not a number).
    static func start(_ random: inout SplitMix64) -> Date {
        guard Int.random(in: 0..<8, using: &random) == 0 else {
            return Date(timeIntervalSince1970: Double(Int.random(in: 0...4_100_000_000, using: &random)))
        }
        let edges: [Double] = [
            -62_135_596_800, 253_402_300_799, 9_999_999_999_999, -9_999_999_999_999, 1e13, -1e13, 1e300,
            .infinity, -.infinity, .nan, -0.5,
        ]
        return Date(timeIntervalSince1970: edges.randomElement(using: &random)!)
    }
}
