import Foundation
import Testing
@testable import BSON

/// `Date` ↔ BSON milliseconds (`Date+BSONMilliseconds.swift`): total, exact, stable.
@Suite("BSON milliseconds")
struct BSONMillisecondsTests {
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range MongoDB accepts in dates.
    static let yearOne: Int64 = -62_135_596_800_000
    static let year9999: Int64 = 253_402_300_799_999

    @Test func notableMillisecondsComeBackUnchanged() {
        let values: [Int64] = [
            0, 1, -1, 7, 9, 999, -999, 1000, -1001, 139_356_659_748_106, Self.yearOne, Self.year9999, 1_774_746_000_123,
            4_390_000_000_000_000, -4_390_000_000_000_000, 978_307_200_000, 978_307_200_001,
        ]
        for milliseconds in values {
            #expect(Date(millisecondsSince1970: milliseconds).millisecondsSince1970 == milliseconds, "\(milliseconds)")
        }
    }

    @Test func randomMillisecondsWithinDatePrecisionComeBackUnchanged() {
        let seed: UInt64 = 0xDA7E
        var random = SplitMix64(seed: seed)
        for _ in 0..<100_000 {
            // Half near years 1 to 9999, half anywhere Date tells milliseconds apart.
            let bound: Int64 = random.oneIn(2) ? 300_000_000_000_000 : 4_390_000_000_000_000
            let milliseconds = Int64(bitPattern: random.next()) % bound
            let back = Date(millisecondsSince1970: milliseconds).millisecondsSince1970
            if back != milliseconds {
                Issue.record("seed \(seed): \(milliseconds) came back as \(back)")
                return
            }
        }
    }

    @Test func extremeMillisecondsNeitherTrapNorDriftOnASecondRoundTrip() {
        let values: [Int64] = [.min, .min + 1, .max, .max - 1, 1 << 53, -(1 << 53), (1 << 53) + 1, 1 << 62, -(1 << 62)]
        var random = SplitMix64(seed: 0xE7)
        for milliseconds in values + (0..<10_000).map({ _ in Int64(bitPattern: random.next()) }) {
            let once = Date(millisecondsSince1970: milliseconds).millisecondsSince1970
            let twice = Date(millisecondsSince1970: once).millisecondsSince1970
            #expect(once == twice, "\(milliseconds)")
            // As close as a Double of seconds allows (one part in 2^52).
            #expect(Double(once).distance(to: Double(milliseconds)).magnitude <= max(1, Double(milliseconds).magnitude / 1e15), "\(milliseconds)")
        }
    }

    @Test func anyDateGivesClampedMilliseconds() {
        #expect(Date(timeIntervalSinceReferenceDate: .infinity).millisecondsSince1970 == .max)
        #expect(Date(timeIntervalSinceReferenceDate: -.infinity).millisecondsSince1970 == .min)
        #expect(Date(timeIntervalSinceReferenceDate: .nan).millisecondsSince1970 == 0)
        #expect(Date(timeIntervalSinceReferenceDate: 1e300).millisecondsSince1970 == .max)
        #expect(Date(timeIntervalSinceReferenceDate: -1e300).millisecondsSince1970 == .min)
        for date in [Date.distantFuture, .distantPast] {
            #expect(date.millisecondsSince1970 == Int64(date.timeIntervalSince1970) * 1000)
        }
    }

    @Test func datesBetweenMillisecondsRoundDown() {
        #expect(Date(timeIntervalSince1970: 1.0009).millisecondsSince1970 == 1000)
        #expect(Date(timeIntervalSince1970: -1.0001).millisecondsSince1970 == -1001)
        #expect(Date(timeIntervalSince1970: -0.0000001).millisecondsSince1970 == -1)
        // 0.001 s after 1970 is not exactly representable; it is still the millisecond 1.
        #expect(Date(timeIntervalSince1970: 0.001).millisecondsSince1970 == 1)
    }

    @Test func aMillisecondsDateIsTheOneTheOtherCodeCutsInstantsTo() {
        var random = SplitMix64(seed: 0xC07)
        for _ in 0..<10_000 {
            let milliseconds = Int64(bitPattern: random.next()) % 300_000_000_000_000
            #expect(Date(millisecondsSince1970: milliseconds) == Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
    }

}
