import CMongoC
import Testing
@testable import BSON

/// ``Decimal128``: the BSON specification's canonical strings, checked against its test corpus
/// and against libbson, and exact parsing.
@Suite("Decimal128")
struct Decimal128Tests {
    /// (high, low, canonical string), from the BSON corpus (decimal128-1.json and -2.json).
    static let corpus: [(UInt64, UInt64, String)] = [
        (0x3040_0000_0000_0000, 0, "0"),
        (0xB040_0000_0000_0000, 0, "-0"),
        (0x3040_0000_0000_0000, 1, "1"),
        (0xB040_0000_0000_0000, 1, "-1"),
        (0x303E_0000_0000_0000, 1, "0.1"),
        (0x303E_0000_0000_0000, 15, "1.5"),
        (0x3034_0000_0000_0000, 1, "0.000001"),
        (0x3032_0000_0000_0000, 1, "1E-7"),
        (0x3046_0000_0000_0000, 1, "1E+3"),
        (0x3042_0000_0000_0000, 0, "0E+1"),
        (0x3010_0000_0000_0000, 0, "0E-24"),
        (0x0000_0000_0000_0000, 0, "0E-6176"),
        (0x5FFE_0000_0000_0000, 0, "0E+6111"),
        (0x0000_0000_0000_0000, 1, "1E-6176"),
        (0x5FFE_314D_C644_8D93, 0x38C1_5B0A_0000_0000, "1.000000000000000000000000000000000E+6144"),
        (0x3041_ED09_BEAD_87C0, 0x378D_8E63_FFFF_FFFF, "9999999999999999999999999999999999"),
        (0x7C00_0000_0000_0000, 0, "NaN"),
        (0xFC00_0000_0000_0000, 0, "NaN"),
        (0x7E00_0000_0000_0000, 0, "NaN"),
        (0x7800_0000_0000_0000, 0, "Infinity"),
        (0xF800_0000_0000_0000, 0, "-Infinity"),
        // Non-canonical: a coefficient above 34 nines reads as zero.
        (0x6C10_0000_0000_0000, 0, "0"),
        (0x3041_ED09_BEAD_87C0, 0x378D_8E64_0000_0000, "0"),
    ]

    @Test func corpusBitsGiveTheCanonicalString() {
        for (high, low, text) in Self.corpus {
            #expect(Decimal128(high: high, low: low).description == text, "\(String(high, radix: 16)) \(low)")
        }
    }

    @Test func canonicalStringsParseBackToTheirBits() {
        for (high, low, text) in Self.corpus where high & 0x6000_0000_0000_0000 != 0x6000_0000_0000_0000 || text.hasSuffix("Infinity") {
            guard text != "NaN", text != "0" || low == 0 else { continue }
            #expect(Decimal128(text) == Decimal128(high: high, low: low), "\(text)")
        }
        #expect(Decimal128("NaN") == Decimal128(high: 0x7C00_0000_0000_0000, low: 0))
    }

    @Test func parsingAcceptsTheSpecificationsSpellings() {
        let pairs: [(String, String)] = [
            ("+1", "1"), ("1.", "1"), (".5", "0.5"), ("1e3", "1E+3"), ("1E-3", "0.001"), ("-inf", "-Infinity"),
            ("INFINITY", "Infinity"), ("nan", "NaN"), ("00012.340", "12.340"), ("0.0000000", "0E-7"),
            ("1E+6144", "1.000000000000000000000000000000000E+6144"), ("0E+9999", "0E+6111"), ("0E-9999", "0E-6176"),
            ("10E-6177", "1E-6176"), ("1234567890123456789012345678901234000", "1.234567890123456789012345678901234E+36"),
        ]
        for (text, canonical) in pairs { #expect(Decimal128(text)?.description == canonical, "\(text)") }
    }

    @Test func parsingRefusesWhatWouldNeedRounding() {
        for text in ["", "-", ".", "1..2", "1e", "1e+", "abc", "1 ", " 1", "12345678901234567890123456789012345", "1E+6145",
                     "1E-6177", "Infinit", "1x", "0x10", "--1", String(repeating: "9", count: 100_000)] {
            #expect(Decimal128(text) == nil, "\(text.prefix(20))")
        }
        #expect(Decimal128(String(repeating: "0", count: 100_000) + "1")?.description == "1")
    }

    @Test func descriptionsMatchLibbsonForRandomBits() {
        let seed: UInt64 = 0xDEC1
        var random = SplitMix64(seed: seed)
        for round in 0..<20_000 {
            var high = random.next()
            // Half canonical finite values (the coefficient below 2^112), half any bits.
            if round % 2 == 0 { high &= 0xDFFE_FFFF_FFFF_FFFF }
            let decimal = Decimal128(high: high, low: random.next())
            // libbson prints a non-canonical coefficient (above 34 nines, or the "11" form's
            // above 2^113) as a number; the specification and IEEE 754 read it as zero.
            let coefficient = (UInt128(decimal.high) << 64 | UInt128(decimal.low)) & (UInt128(1) << 113 - 1)
            let special = (high >> 58) & 0x1E == 0x1E
            if !special, (high >> 61) & 0b11 == 0b11 || coefficient > Decimal128.maxCoefficient { continue }
            var bits = bson_decimal128_t(low: decimal.low, high: decimal.high)
            var buffer = [CChar](repeating: 0, count: Int(BSON_DECIMAL128_STRING))
            bson_decimal128_to_string(&bits, &buffer)
            let expected = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard decimal.description == expected else {
                Issue.record("seed \(seed), round \(round), \(String(decimal.high, radix: 16)) \(String(decimal.low, radix: 16)): \(decimal.description) != libbson's \(expected)")
                return
            }
            if case .finite = decimal.kind {
                // The canonical string parses to the canonical bits of the same value.
                #expect(Decimal128(expected).map { Decimal128($0.kind) } == Decimal128(decimal.kind), "\(expected)")
            }
        }
    }
}
