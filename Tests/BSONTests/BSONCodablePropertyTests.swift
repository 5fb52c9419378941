import Foundation
import Testing
@testable import BSON

/// Random nested values of every mapped type, from a seeded generator (`FUZZ_SEED` to try
/// others): each one encodes, goes through the wire format and decodes back equal.
@Suite("BSON Codable properties")
struct BSONCodablePropertyTests {
    indirect enum Tree: Codable, Equatable {
        case leaf(Leaf)
        case branch([String: Tree])
        case list([Tree])
    }

    struct Leaf: Codable, Equatable {
        var int: Int
        var small: Int8?
        var unsigned: UInt32
        var double: Double
        var float: Float?
        var text: String
        var flag: Bool?
        var date: Date
        var id: ObjectId?
        var data: Data
        var uuid: UUID?
        var decimal: Decimal128?
        var raw: BSON?
    }

    /// Random trees: at most `maxDepth` levels of branches and lists.
    struct Generator {
        var values: RandomBSON
        var random: SplitMix64 {
            get { values.random }
            set { values.random = newValue }
        }

        static let keyPieces = ["a", "b", ".", "$", "é", " ", "0", "😀"]

        mutating func tree(depth: Int = 0) -> Tree {
            switch depth < 3 ? random.below(3) : 0 {
            case 0: return .leaf(leaf())
            case 1:
                let fields = (0..<random.below(4)).map { _ in (key(), tree(depth: depth + 1)) }
                return .branch(Dictionary(fields, uniquingKeysWith: { $1 }))
            default: return .list((0..<random.below(4)).map { _ in tree(depth: depth + 1) })
            }
        }

        mutating func key() -> String { (0..<random.below(4)).map { _ in Self.keyPieces[random.below(Self.keyPieces.count)] }.joined() }

        mutating func maybe<Value>(_ make: (inout Generator) -> Value) -> Value? {
            random.oneIn(3) ? nil : make(&self)
        }

        mutating func leaf() -> Leaf {
            Leaf(
                int: random.oneIn(2) ? random.below(2_000) - 1_000 : Int(bitPattern: UInt(truncatingIfNeeded: random.next())),
                small: maybe { Int8(truncatingIfNeeded: $0.random.next()) },
                unsigned: UInt32(truncatingIfNeeded: random.next()),
                double: Self.finite(values.double()),
                float: maybe { Float(Self.finite($0.values.double())) },
                text: values.string(),
                flag: maybe { $0.random.oneIn(2) },
                date: Date(millisecondsSince1970: values.milliseconds()),
                id: maybe { $0.values.objectId() },
                data: Data(values.bytes()),
                uuid: maybe { $0.uuid() },
                decimal: maybe { $0.values.decimal() },
                raw: maybe { $0.raw() })
        }

        /// A BSON value equal to itself (no NaN, whose round trips are covered byte for byte
        /// elsewhere) and not null (which an optional reads back as nil).
        mutating func raw() -> BSON {
            while true {
                let value = values.value(level: 3)
                // Compared with a copy: an array equals itself by identity, NaN or not.
                let copy = try? BSONReader.decode(BSONWriter.encode(["v": value]))["v"]
                if copy == value, value != .null { return value }
            }
        }

        mutating func uuid() -> UUID {
            let bytes = (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        }

        /// NaN would make a value unequal to itself; its round trip is covered by raw BSON.
        static func finite(_ number: Double) -> Double { number.isNaN ? 0 : number }
    }

    @Test func randomNestedValuesComeBackEqualThroughTheWireFormat() throws {
        let seed = SplitMix64.seed(default: 0xC0DE_C0DE)
        var generator = Generator(values: RandomBSON(seed: seed))
        for round in 0..<400 {
            let tree = generator.tree()
            let document = try BSONEncoder().encode(Box(value: tree))
            try document.checkStorable()
            let back = try BSONDecoder().decode(Box<Tree>.self, from: BSONReader.decode(BSONWriter.encode(document))).value
            guard back == tree else {
                Issue.record("seed \(seed), round \(round): \(document) came back as \(back)")
                return
            }
        }
    }

    @Test func anIntegerReadsFromADoubleExactlyWhenItIsWholeAndInRange() throws {
        let seed = SplitMix64.seed(default: 0x1D0B)
        var random = SplitMix64(seed: seed)
        let specials: [Double] = [0, -0.0, 0.5, -1, 127, 128, -128, -129, 2_147_483_647, 2_147_483_648, 9.2e18, 1e300, .infinity, .nan]
        for round in 0..<2_000 {
            let number = random.oneIn(2) ? specials[random.below(specials.count)]
                : random.oneIn(2) ? Double(Int64(bitPattern: random.next()) >> random.below(64)) / Double(1 << random.below(3))
                : Double(bitPattern: random.next())
            let asInt32 = try? BSONDecoder().decodeValue(Int32.self, from: .double(number))
            let asInt8 = try? BSONDecoder().decodeValue(Int8.self, from: .double(number))
            guard asInt32 == Int32(exactly: number), asInt8 == Int8(exactly: number) else {
                Issue.record("seed \(seed), round \(round): \(number) read as \(String(describing: asInt32)), \(String(describing: asInt8))")
                return
            }
        }
    }
}
