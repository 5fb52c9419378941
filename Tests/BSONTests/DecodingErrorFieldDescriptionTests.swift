import Foundation
import Testing
@testable import BSON

/// `DecodingError.fieldDescription(under:)`: one line naming the field and the problem, never
/// the value.
@Suite("Decoding error field description")
struct DecodingErrorFieldDescriptionTests {
    struct Order: Codable {
        var customer: String
        var items: [Item]
        var color: Color?
    }

    struct Item: Codable {
        var count: Int
        var tags: [String: Int]?
    }

    /// The field description of decoding `document` as an `Order`, under `payload`.
    func describe(_ document: BSONDocument, as type: (some Decodable).Type = Order.self) -> String? {
        do {
            _ = try BSONDecoder().decode(type, from: document)
            return nil
        } catch let error as DecodingError {
            return error.fieldDescription(under: "payload")
        } catch {
            return "\(error)"
        }
    }

    static let items: BSON = [["count": 1], ["count": 2], ["count": "secret-text"]]

    @Test func aWrongTypeNamesTheNestedPathAndBothTypes() {
        #expect(describe(["customer": "c", "items": Self.items]) == "payload.items[2].count: expected an integer, found string")
    }

    @Test func aMissingFieldNamesItsPath() {
        #expect(describe(["customer": "c", "items": [["count": 1], [:]]]) == "payload.items[1].count: missing")
        #expect(describe(["items": []]) == "payload.customer: missing")
    }

    @Test func nullForARequiredFieldAndValuesOutOfRangeAreNamed() {
        #expect(describe(["customer": .null, "items": []]) == "payload.customer: expected a string, found null")
        #expect(describe(["customer": "c", "items": [["count": .double(0.5)]]])
            == "payload.items[0].count: expected an integer, found a double that is not a whole number")
        #expect(describe(["customer": "c", "items": [["count": 1, "tags": ["a b": .int64(1 << 40)]]]], as: Order.self)
            == nil)
    }

    @Test func theTopLevelIsNamedByTheRootAlone() {
        #expect(describe(["customer": "c", "items": ["count": 1]]) == "payload.items: expected an array, found object")
        do {
            _ = try BSONDecoder().decodeValue(Order.self, from: [1])
            Issue.record("decoded an array as an order")
        } catch let error as DecodingError {
            #expect(error.fieldDescription(under: "payload") == "payload: expected a document, found array")
            #expect(error.fieldDescription() == "expected a document, found array")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aTypesOwnErrorIsSummarisedWithoutItsValue() throws {
        let description = try #require(describe(["customer": "c", "items": [], "color": "secret-purple"]))
        #expect(description == "payload.color: not a valid value")
        #expect(!description.contains("secret"))
        #expect(describe(["customer": "c", "items": Self.items])?.contains("secret") == false)
    }

    @Test func longPathsKeepTheirEndsAndLongKeysAreCut() throws {
        indirect enum Chain: Decodable {
            case link(Chain)
            case end(Int)
        }
        var value: BSON = ["end": ["_0": "x"]]
        for _ in 0..<5 { value = ["link": ["_0": value]] }
        let error = try #require(throws: DecodingError.self) { try BSONDecoder().decodeValue(Chain.self, from: value) }
        #expect(error.fieldDescription() == "link._0.link._0.…(4 more)….link._0.end._0: expected an integer, found string")

        let key = String(repeating: "k", count: 50)
        let long = try #require(throws: DecodingError.self) { try BSONDecoder().decode([String: Int].self, from: [key: true]) }
        #expect(long.fieldDescription() == String(repeating: "k", count: 40) + "…: expected an integer, found bool")
    }

    @Test func dictionaryKeysMadeOfDigitsAreFieldsNotIndices() throws {
        let error = try #require(throws: DecodingError.self) {
            try BSONDecoder().decode([Int: [Int]].self, from: ["7": [1, "x"]])
        }
        #expect(error.fieldDescription(under: "payload") == "payload.7[1]: expected an integer, found string")
    }
}
