import Foundation
import Testing
@testable import BSON

/// ``ExtendedJSON/parseDocument(_:)`` on 100,000 random and mutated texts: every outcome is a
/// document or a ``BSONError``, never a crash, and every document parsed is formatted and
/// parsed again unchanged.
///
/// Seeded (`FUZZ_SEED` to try others), so that a failure, which prints its seed and round,
/// repeats.
@Suite("Extended JSON fuzz")
struct ExtendedJSONFuzzTests {
    static let rounds = 100_000

    @Test func randomAndMutatedTextsGiveADocumentOrAnError() {
        let seed = SplitMix64.seed(default: 0x150_F022)
        var random = SplitMix64(seed: seed)
        var documents = RandomBSON(seed: seed ^ 0x7E47, jsonSafe: true)
        documents.maxDepth = 3
        let valid = (0..<64).map { _ in Array(ExtendedJSON.format(.document(documents.document())).utf8) }
        var parsed = 0
        for round in 0..<Self.rounds {
            let input = Self.input(valid, &random)
            let document: BSONDocument
            do {
                // Bytes reach the parser as they are (invalid UTF-8 included), or as a String.
                document = try random.oneIn(4)
                    ? ExtendedJSON.parseDocument(String(decoding: input, as: UTF8.self))
                    : ExtendedJSONParser.parseDocument(input)
            } catch {
                continue
            }
            parsed += 1
            let text = ExtendedJSON.format(.document(document))
            guard let again = try? ExtendedJSON.parseDocument(text), BSONWriter.encode(again) == BSONWriter.encode(document) else {
                Issue.record("seed \(seed), round \(round): \(text) does not parse back to the document it shows")
                return
            }
        }
        #expect(parsed > Self.rounds / 20, "seed \(seed): only \(parsed) texts parsed")
    }

    /// Pieces of JSON and extended JSON that random text is built from and mutations insert.
    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ":", ",", "\"", "\\", " ", "\n", "\"a\"", "\"a\":", "1", "-0", "1.5e3", "2147483648",
        "1e400", "true", "false", "null", "\"\\u0000\"", "\"\\ud800\"", "\"\\ud83d\\ude00\"", "\"$oid\"", "\"$date\"",
        "\"$numberLong\"", "\"$numberDecimal\"", "\"$binary\"", "\"$type\"", "\"$code\"", "\"$scope\"", "\"$timestamp\"",
        "\"$regularExpression\"", "\"$dbPointer\"", "\"$minKey\"", "\"$undefined\"", "\"base64\"", "\"subType\"", "é", "😀",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0], [0x1F]]

    /// A random input: tokens from nowhere, or a valid text mutated one to three times.
    static func input(_ valid: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        if random.oneIn(4) {
            return (random.oneIn(2) ? Array("{".utf8) : []) + (0..<random.below(24)).flatMap { _ in tokens[random.below(tokens.count)] }
        }
        var bytes = valid[random.below(valid.count)]
        for _ in 0..<(random.oneIn(2) ? 1 : 1 + random.below(3)) { mutate(&bytes, valid, &random) }
        return bytes
    }

    static func mutate(_ bytes: inout [UInt8], _ valid: [[UInt8]], _ random: inout SplitMix64) {
        guard !bytes.isEmpty else { return }
        let at = random.below(bytes.count)
        switch random.below(8) {
        case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
        case 7:
            // Mild: a letter or digit, which inside a string or number often still parses.
            let mild = Array("az09Z5.-e".utf8)
            bytes[at] = mild[random.below(mild.count)]
        case 1: bytes[at] = tokens[random.below(tokens.count)].first ?? 0
        case 2: bytes.removeSubrange(at...)
        case 3: bytes.removeSubrange(at..<min(bytes.count, at + 1 + random.below(12)))
        case 4: bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: at)
        case 5:
            // A piece of this or another text, somewhere else: duplicated keys, nesting, junk.
            let other = valid[random.below(valid.count)]
            let start = random.below(other.count)
            bytes.insert(contentsOf: other[start..<min(other.count, start + 1 + random.below(40))], at: at)
        default:
            let other = valid[random.below(valid.count)]
            bytes = Array(bytes[..<at]) + other[random.below(other.count)...]
        }
    }
}
