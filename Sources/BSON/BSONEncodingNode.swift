/// A value being encoded by ``BSONEncoder``: a single value, a document or an array whose parts
/// may still be filled in.
///
/// Shared by reference between the encoder that made it and the containers writing into it, so
/// that a nested container or a super encoder placed in its parent can be filled in afterwards,
/// in any order, as `Encodable` implementations do. ``bson(at:)`` turns the finished tree into a
/// ``BSON`` value and reports what could not be encoded with its coding path.
final class BSONEncodingNode {
    /// A part of a document or array: a finished value, or a node still being filled in.
    enum Slot {
        case value(BSON)
        case node(BSONEncodingNode)
    }

    private enum Shape {
        case empty
        case value(BSON)
        case document
        case array
    }

    private var shape = Shape.empty
    /// A document's keys in the order they were first encoded, and their slots: a key encoded
    /// again keeps its place and takes the new value, as `BSONDocument` does.
    private var keys: [String] = []
    private var fields: [String: Slot] = [:]
    private var elements: [Slot] = []
    /// The first misuse at this path (a keyed container requested where a single value was
    /// encoded, say), reported by ``bson(at:)``.
    private var conflict: String?

    /// Whether nothing was encoded here.
    var isEmpty: Bool { if case .empty = shape { true } else { false } }

    /// The number of elements of an array.
    var count: Int { elements.count }

    /// Encodes a single value here.
    func setValue(_ value: BSON) {
        if !isEmpty { record("a single value was encoded where another value or a container was") }
        shape = .value(value)
        keys = []
        fields = [:]
        elements = []
    }

    /// Makes this node a document, keeping its fields if it is one already (a class and its
    /// superclass may both ask for a keyed container from one encoder).
    func makeDocument() {
        switch shape {
        case .document: return
        case .empty: break
        case .value, .array:
            record("a keyed container was requested where a single value or an unkeyed container was encoded")
        }
        shape = .document
        elements = []
    }

    /// Makes this node an array, keeping its elements if it is one already.
    func makeArray() {
        switch shape {
        case .array: return
        case .empty: break
        case .value, .document:
            record("an unkeyed container was requested where a single value or a keyed container was encoded")
        }
        shape = .array
        keys = []
        fields = [:]
    }

    /// Sets the field `key` of a document. Complexity: O(1) amortised.
    func set(_ slot: Slot, forKey key: String) {
        if fields.updateValue(slot, forKey: key) == nil { keys.append(key) }
    }

    /// Appends an element to an array. Complexity: O(1) amortised.
    func append(_ slot: Slot) { elements.append(slot) }

    /// Notes a misuse of this node's encoder, reported by ``bson(at:)`` (the first one).
    func record(_ problem: String) {
        if conflict == nil { conflict = problem }
    }

    /// The finished value: a node where nothing was encoded becomes an empty document, as
    /// Foundation's encoders make it. `codingPath` is this node's path, for errors; it is
    /// extended while the parts are finished and restored before returning.
    /// - Throws: `EncodingError.invalidValue` at the first misuse or key holding NUL (which
    ///   BSON cannot store), with its coding path. Complexity: O(size of the value).
    func bson(at codingPath: inout [any CodingKey]) throws -> BSON {
        if let conflict {
            throw EncodingError.invalidValue(conflict, EncodingError.Context(
                codingPath: codingPath, debugDescription: conflict))
        }
        switch shape {
        case .empty:
            return .document(BSONDocument())
        case .value(let value):
            return value
        case .document:
            var document: [BSONDocument.Element] = []
            document.reserveCapacity(keys.count)
            for key in keys {
                codingPath.append(BSONCodingKey(stringValue: key))
                guard !key.utf8.contains(0) else {
                    throw EncodingError.invalidValue(key, EncodingError.Context(
                        codingPath: codingPath, debugDescription: "a key holds NUL, which BSON keys cannot"))
                }
                document.append((key, try Self.bson(fields[key]!, at: &codingPath)))
                codingPath.removeLast()
            }
            return .document(BSONDocument(readFields: document))
        case .array:
            var array: [BSON] = []
            array.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                codingPath.append(BSONCodingKey(intValue: index))
                array.append(try Self.bson(element, at: &codingPath))
                codingPath.removeLast()
            }
            return .array(array)
        }
    }

    private static func bson(_ slot: Slot, at codingPath: inout [any CodingKey]) throws -> BSON {
        switch slot {
        case .value(let value): value
        case .node(let node): try node.bson(at: &codingPath)
        }
    }
}

@available(*, unavailable)
extension BSONEncodingNode: Sendable {}
