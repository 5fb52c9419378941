// CronBenchmark: next-occurrence computations per second over a mix of expressions and
// zones (perf/cron-peer/mix.json, shared with the croniter run in perf/cron-bench).
//
//     swift run -c release CronBenchmark [seconds]
//
// Each (expression, zone) pair is parsed once, then chained: next(after: previous) from the
// mix's start instant, `occurrences` times. Passes repeat until `seconds` (default 3) pass.
import Cron
import Foundation

struct Mix: Decodable {
    let start: Int
    let occurrences: Int
    let zones: [String]
    let expressions: [String]
}

let mixURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../cron-peer/mix.json").standardized
let seconds = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 3.0

do {
    let mix = try JSONDecoder().decode(Mix.self, from: Data(contentsOf: mixURL))
    let zones = mix.zones.map { name -> TimeZone in
        guard let zone = TimeZone(identifier: name) else { fatalError("unknown zone \(name) in the mix") }
        return zone
    }
    let expressions = try mix.expressions.map { try CronExpression($0) }
    let start = Date(timeIntervalSince1970: Double(mix.start))

    /// One pass over the mix; returns how many next occurrences were computed.
    func onePass() -> Int {
        var computed = 0
        for zone in zones {
            for expression in expressions {
                var cursor = start
                for _ in 0..<mix.occurrences {
                    guard let next = expression.next(after: cursor, in: zone) else { break }
                    cursor = next
                    computed += 1
                }
            }
        }
        return computed
    }

    _ = onePass()  // warm-up: fills the zone offset cache, as a long-running scheduler would
    let clock = ContinuousClock()
    let began = clock.now
    var computed = 0
    while clock.now - began < .seconds(seconds) {
        computed += onePass()
    }
    let elapsed = clock.now - began
    let elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let rate = Double(computed) / elapsedSeconds
    print("ours \(Int(rate)) next/s (\(expressions.count) expressions x \(zones.count) zones"
        + " x \(mix.occurrences) occurrences, \(computed) in \(String(format: "%.1f", elapsedSeconds)) s)")
} catch {
    FileHandle.standardError.write(Data("CronBenchmark: \(error)\n".utf8))
    exit(1)
}
