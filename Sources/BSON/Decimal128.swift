/// A BSON Decimal128 value: an IEEE 754-2008 128-bit decimal in the binary integer decimal
/// (BID) encoding, as MongoDB stores it.
///
/// The value is kept as its 128 bits, not converted to `Double` or Foundation's `Decimal`, so
/// that a document read from the database is written back bit for bit (`1.0` and `1.00` are
/// different values here, as they are in MongoDB). No arithmetic is offered: a job processor
/// only carries these values between the database and the handlers.
///
/// `description` is the canonical string of the BSON Decimal128 specification (`"1.5"`,
/// `"-0.00"`, `"1E+3"`, `"NaN"`, `"-Infinity"`), which `init?(_:)` parses back.
public struct Decimal128: Sendable, Hashable, CustomStringConvertible {
    /// The high 64 bits: sign, combination field (exponent) and the top of the coefficient.
    public let high: UInt64
    /// The low 64 bits of the coefficient.
    public let low: UInt64

    /// The value with these bits.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The value of the 16 bytes BSON stores (little-endian).
    init(littleEndianBytes bytes: UnsafeRawBufferPointer) {
        low = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        high = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The exponent bias: a stored exponent of 6176 means 10^0.
    static let exponentBias = 6176
    /// The smallest and largest exponents (of the last coefficient digit).
    static let exponentRange = -6176...6111
    /// The largest coefficient: 34 nines.
    static let maxCoefficient: UInt128 = 9_999_999_999_999_999_999_999_999_999_999_999

    /// What the bits stand for.
    enum Kind: Equatable {
        case nan
        case infinity(negative: Bool)
        /// `(-1)^negative × coefficient × 10^exponent`.
        case finite(negative: Bool, coefficient: UInt128, exponent: Int)
    }

    /// The decoded fields. A coefficient above 34 nines (which the encoding can hold) is
    /// non-canonical and reads as zero, as the specification requires.
    var kind: Kind {
        let negative = high >> 63 == 1
        let combination = (high >> 58) & 0x1F
        if combination == 0x1F { return .nan }
        if combination == 0x1E { return .infinity(negative: negative) }
        let bits = UInt128(high) << 64 | UInt128(low)
        let exponent: Int
        var coefficient: UInt128
        if (high >> 61) & 0b11 == 0b11 {
            // The "11" form: the implied coefficient bits 100 put it above 2^113, beyond 34 nines.
            exponent = Int((high >> 47) & 0x3FFF)
            coefficient = 0
        } else {
            exponent = Int((high >> 49) & 0x3FFF)
            coefficient = bits & (UInt128(1) << 113 - 1)
        }
        if coefficient > Self.maxCoefficient { coefficient = 0 }
        return .finite(negative: negative, coefficient: coefficient, exponent: exponent - Self.exponentBias)
    }

    /// The value of these fields; the caller keeps them in range (coefficient at most 34 nines,
    /// exponent in `exponentRange`).
    init(_ kind: Kind) {
        switch kind {
        case .nan: self.init(high: 0x7C00_0000_0000_0000, low: 0)
        case .infinity(let negative): self.init(high: (negative ? 1 << 63 : 0) | 0x7800_0000_0000_0000, low: 0)
        case .finite(let negative, let coefficient, let exponent):
            let biased = UInt64(exponent + Self.exponentBias)
            let sign: UInt64 = negative ? 1 << 63 : 0
            self.init(high: sign | biased << 49 | UInt64(truncatingIfNeeded: coefficient >> 64),
                      low: UInt64(truncatingIfNeeded: coefficient))
        }
    }

    /// The canonical string (the specification's "to scientific string"): plain notation when
    /// the exponent is at most 0 and the adjusted exponent at least -6, scientific otherwise.
    /// Complexity: O(1) (at most 34 digits).
    public var description: String {
        switch kind {
        case .nan: return "NaN"
        case .infinity(let negative): return negative ? "-Infinity" : "Infinity"
        case .finite(let negative, let coefficient, let exponent):
            let digits = Array(String(coefficient).utf8)
            let adjusted = exponent + digits.count - 1
            var text = negative ? "-" : ""
            if exponent > 0 || adjusted < -6 {
                text += String(decoding: digits[..<1], as: UTF8.self)
                if digits.count > 1 { text += "." + String(decoding: digits[1...], as: UTF8.self) }
                text += "E" + (adjusted >= 0 ? "+" : "") + String(adjusted)
            } else if exponent == 0 {
                text += String(decoding: digits, as: UTF8.self)
            } else {
                let point = digits.count + exponent
                if point > 0 {
                    text += String(decoding: digits[..<point], as: UTF8.self) + "."
                        + String(decoding: digits[point...], as: UTF8.self)
                } else {
                    text += "0." + String(repeating: "0", count: -point) + String(decoding: digits, as: UTF8.self)
                }
            }
            return text
        }
    }
}
