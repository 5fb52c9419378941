import Foundation
@testable import BSON

/// Random documents holding every BSON type, from a seeded generator, for round-trip, property
/// and fuzz tests.
///
/// With `jsonSafe`, only values that extended JSON carries bit for bit are made: NaN is the
/// canonical one, decimals are canonical, and no key starts with `$` (such a document is read
/// back as a type wrapper, which the specification accepts).
struct RandomBSON {
    var random: SplitMix64
    var jsonSafe = false
    /// Whether strings may hold NUL (libbson's JSON parser cuts code at the first one).
    var stringsWithNUL = true
    /// Whether code with scope is made (libbson's JSON parser reads no wrapper in a scope).
    var scopes = true
    /// The deepest level of documents and arrays (the top-level document is level 1).
    var maxDepth = 4

    init(seed: UInt64, jsonSafe: Bool = false) {
        random = SplitMix64(seed: seed)
        self.jsonSafe = jsonSafe
    }

    mutating func document(level: Int = 1) -> BSONDocument {
        BSONDocument((0..<random.below(level == 1 ? 10 : 4)).map { _ in (key(), value(level: level)) })
    }

    /// A value of any type; documents, arrays and scopes only while `level` allows one more.
    mutating func value(level: Int) -> BSON {
        switch random.below(level < maxDepth ? (scopes ? 23 : 22) : 20) {
        case 0, 1: .double(double())
        case 2: .string(string())
        case 3: binary()
        case 4: .objectId(objectId())
        case 5: .bool(random.oneIn(2))
        case 6: .date(Date(millisecondsSince1970: milliseconds()))
        case 7: .null
        case 8: .int32(random.oneIn(2) ? Int32(random.below(200)) - 100 : Int32(truncatingIfNeeded: random.next()))
        case 9: .int64(random.oneIn(2) ? Int64(random.below(200)) - 100 : Int64(bitPattern: random.next()))
        case 10: .decimal128(decimal())
        case 11: .regularExpression(pattern: string(allowingNUL: false), options: options())
        case 12: .timestamp(t: UInt32(truncatingIfNeeded: random.next()), i: UInt32(truncatingIfNeeded: random.next()))
        case 13: .minKey
        case 14: .maxKey
        case 15: .javascript(string())
        case 16: .symbol(string())
        case 17: .dbPointer(ref: string(), id: objectId())
        case 18: .undefined
        case 19: .string(string())
        case 20: .document(document(level: level + 1))
        case 21: .array((0..<random.below(4)).map { _ in value(level: level + 1) })
        default: .javascriptWithScope(code: string(), scope: document(level: level + 1))
        }
    }

    private static let pieces = ["a", "b", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1F}", "é", "中", "😀", "\u{2028}", "$", ".", "\u{0}"]
    private static let keyPieces = ["a", "b", "k", "_", "0", "é", " ", ".", "$"]

    mutating func string(allowingNUL: Bool = true) -> String {
        let count = Self.pieces.count - (allowingNUL && stringsWithNUL ? 0 : 1)
        return (0..<random.below(8)).map { _ in Self.pieces[random.below(count)] }.joined()
    }

    /// A key that is never empty, never holds NUL and never starts with `$`.
    mutating func key() -> String {
        "k" + (0..<random.below(5)).map { _ in Self.keyPieces[random.below(Self.keyPieces.count)] }.joined()
    }

    mutating func options() -> String { String("imsux".filter { _ in random.oneIn(2) }) }

    /// Binary data of any subtype; the old binary subtype (2) holds its own length first, as
    /// libbson and MongoDB require.
    mutating func binary() -> BSON {
        let subtype = UInt8(random.below(256))
        let data = bytes()
        guard subtype == 2 else { return .binary(subtype: subtype, bytes: data) }
        return .binary(subtype: 2, bytes: withUnsafeBytes(of: Int32(data.count).littleEndian) { Array($0) } + data)
    }

    mutating func bytes() -> [UInt8] { (0..<random.below(10)).map { _ in UInt8(truncatingIfNeeded: random.next()) } }

    mutating func objectId() -> ObjectId { ObjectId(bytes: (0..<12).map { _ in UInt8(truncatingIfNeeded: random.next()) })! }

    mutating func double() -> Double {
        let specials: [Double] = [0, -0.0, 1.5, -2, 1e15, 123_456_789_012_345, 1e300, .leastNonzeroMagnitude, .infinity, -.infinity, .nan, 0.1]
        if random.oneIn(2) { return specials[random.below(specials.count)] }
        let number = Double(bitPattern: random.next())
        return jsonSafe && number.isNaN ? .nan : number
    }

    /// Milliseconds that `Date` holds exactly: within ±4.3 × 10^15, often near notable values.
    mutating func milliseconds() -> Int64 {
        let specials: [Int64] = [0, 1, -1, -62_135_596_800_000, 253_402_300_799_999, 1_774_746_000_000, 4_300_000_000_000_000]
        if random.oneIn(2) { return specials[random.below(specials.count)] * (random.oneIn(2) ? 1 : -1) }
        return Int64(bitPattern: random.next()) % 4_300_000_000_000_000
    }

    mutating func decimal() -> Decimal128 {
        switch random.below(8) {
        case 0: return Decimal128(.nan)
        case 1: return Decimal128(.infinity(negative: random.oneIn(2)))
        case 2 where !jsonSafe: return Decimal128(high: random.next(), low: random.next())
        default:
            var coefficient: UInt128 = 0
            for _ in 0..<random.below(35) { coefficient = coefficient * 10 + UInt128(random.below(10)) }
            let exponent = random.oneIn(2) ? random.below(13) - 8 : Decimal128.exponentRange.lowerBound + random.below(12_288)
            return Decimal128(.finite(negative: random.oneIn(2), coefficient: coefficient, exponent: exponent))
        }
    }
}
