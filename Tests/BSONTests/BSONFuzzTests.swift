import Foundation
import Testing
@testable import BSON

/// ``BSONReader`` on 100,000 random and mutated inputs: every outcome is a document or a
/// ``BSONError``, never a crash, and every document read is written and read again unchanged.
///
/// Seeded (`FUZZ_SEED` to try others), so that a failure, which prints its seed and round,
/// repeats.
@Suite("BSON fuzz")
struct BSONFuzzTests {
    static let rounds = 100_000

    @Test func randomAndMutatedBytesGiveADocumentOrAnError() {
        let seed = SplitMix64.seed(default: 0xF022_B502)
        var random = SplitMix64(seed: seed)
        var documents = RandomBSON(seed: seed ^ 0xD0C)
        let valid = (0..<64).map { _ in BSONWriter.encode(documents.document()) }
        var read = 0
        for round in 0..<Self.rounds {
            let input = Self.input(valid, &random)
            guard let document = try? BSONReader.decode(input) else { continue }
            read += 1
            let bytes = BSONWriter.encode(document)
            do {
                guard try BSONWriter.encode(BSONReader.decode(bytes)) == bytes else {
                    Issue.record("seed \(seed), round \(round): a document read from \(input) changed when written and read again")
                    return
                }
            } catch {
                Issue.record("seed \(seed), round \(round): the writer's bytes for a document read from \(input) do not read: \(error)")
                return
            }
        }
        // The mutations are mild enough that a fair share still reads, exercising every type.
        #expect(read > Self.rounds / 20, "seed \(seed): only \(read) inputs read")
    }

    @Test func partialReadsOfMutatedBytesNeverCrash() {
        let seed = SplitMix64.seed(default: 0x9A27)
        var random = SplitMix64(seed: seed)
        var documents = RandomBSON(seed: seed)
        let valid = (0..<32).map { _ in BSONWriter.encode(documents.document()) }
        for round in 0..<Self.rounds / 10 {
            let input = Self.input(valid, &random)
            let (document, failure) = BSONReader.decodePartially(input)
            // Compared as bytes: a NaN double is not equal to itself.
            if failure == nil, (try? BSONReader.decode(input)).map(BSONWriter.encode) != BSONWriter.encode(document) {
                Issue.record("seed \(seed), round \(round): a complete partial read differs from a read")
            }
        }
    }

    /// A random input: bytes from nowhere, or a valid document mutated one to three times.
    static func input(_ valid: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        if random.oneIn(8) {
            var bytes = (0..<random.below(40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.oneIn(2) { bytes = int32(bytes.count + 5) + bytes + [0] }
            return bytes
        }
        var bytes = valid[random.below(valid.count)]
        for _ in 0...random.below(3) { mutate(&bytes, valid, &random) }
        return bytes
    }

    /// Type bytes, lengths' edges and the like, which random bytes rarely hit.
    static let interesting: [UInt8] = [0, 1, 2, 3, 4, 5, 0x0F, 0x11, 0x13, 0x7F, 0x80, 0xFF, 0xFE]

    static func mutate(_ bytes: inout [UInt8], _ valid: [[UInt8]], _ random: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let at = random.below(bytes.count)
        switch random.below(8) {
        case 0: bytes[at] ^= 1 << UInt8(random.below(8))
        case 1: bytes[at] = UInt8(truncatingIfNeeded: random.next())
        case 2: bytes[at] = interesting[random.below(interesting.count)]
        case 3:
            bytes.removeSubrange(at...)
            if random.oneIn(2), bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: int32(bytes.count)) }
        case 4:
            // A length field: the document's own, or whatever int32 lies at a random offset.
            let offset = random.oneIn(3) ? 0 : min(at, max(0, bytes.count - 4))
            guard offset + 4 <= bytes.count else { return }
            let old = bytes[offset..<offset + 4].withUnsafeBytes { Int(Int32(littleEndian: $0.loadUnaligned(as: Int32.self))) }
            let lengths = [old + 1, old - 1, old + 4, old - 4, 0, -1, 4, 5, Int(Int32.max), Int(Int32.min), bytes.count]
            bytes.replaceSubrange(offset..<offset + 4, with: int32(lengths[random.below(lengths.count)]))
        case 5:
            let other = valid[random.below(valid.count)]
            let cut = random.below(other.count)
            bytes = Array(bytes[..<at]) + other[cut...]
            if random.oneIn(2), bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: int32(bytes.count)) }
        case 6: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(8)))
        default: bytes.insert(contentsOf: (0...random.below(4)).map { _ in interesting[random.below(interesting.count)] }, at: at)
        }
    }

    static func int32(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { Array($0) }
    }
}
