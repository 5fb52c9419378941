import Foundation

/// A small, fast, seedable generator (SplitMix64), so that property and fuzz tests are
/// reproducible: a failure prints its seed, and running with that seed repeats it.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0), cheaper than `Int.random(in:using:)` in debug builds.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// True once in `odds` draws.
    mutating func oneIn(_ odds: Int) -> Bool { below(odds) == 0 }
}

extension SplitMix64 {
    /// The seed of a fuzz or property test: `defaultSeed`, or the `FUZZ_SEED` environment
    /// variable (decimal) to explore others; tests print it in every failure.
    static func seed(default defaultSeed: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? defaultSeed
    }
}
