/// An ordered BSON document: keys in insertion order, as MongoDB keeps them.
///
/// Lookup by key is linear, which is the right trade for the small documents a job processor
/// handles (a dozen fields); order matters to MongoDB for sort and index specifications.
public struct BSONDocument: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: BSON)

    private var elements: [Element]

    /// An empty document.
    public init() { elements = [] }

    /// A document with these fields, in order. A repeated key keeps its last value.
    public init(_ fields: some Sequence<(String, BSON)>) {
        elements = []
        for (key, value) in fields { self[key] = value }
    }

    public init(dictionaryLiteral fields: (String, BSON)...) { self.init(fields) }

    /// A document of fields read from storage, in order, with the rule of `init(_:)` (a repeated
    /// key keeps its last value, at its first position) in O(n) rather than O(n²) time, so that
    /// a large document with many fields cannot stall a reader.
    init(readFields fields: [Element]) {
        elements = []
        elements.reserveCapacity(fields.count)
        guard fields.count > 16 else {
            // A linear search beats hashing for the dozen fields of a job document.
            for field in fields {
                if let position = elements.firstIndex(where: { $0.key == field.key }) {
                    elements[position].value = field.value
                } else {
                    elements.append(field)
                }
            }
            return
        }
        var positions: [String: Int] = [:]
        positions.reserveCapacity(fields.count)
        for field in fields {
            if let position = positions[field.key] {
                elements[position].value = field.value
            } else {
                positions[field.key] = elements.count
                elements.append(field)
            }
        }
    }

    public var startIndex: Int { elements.startIndex }
    public var endIndex: Int { elements.endIndex }
    public subscript(position: Int) -> Element { elements[position] }

    /// The keys, in order.
    public var keys: [String] { elements.map(\.key) }

    /// The value for `key`, or nil. Setting nil removes the field; setting a new key appends it.
    /// Complexity: O(n) in the number of fields.
    public subscript(key: String) -> BSON? {
        get { elements.first { $0.key == key }?.value }
        set {
            let index = elements.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): elements[index].value = value
            case (let index?, nil): elements.remove(at: index)
            case (nil, let value?): elements.append((key, value))
            case (nil, nil): break
            }
        }
    }

    /// Follows a dotted path (`"output.error"`) through nested documents.
    public subscript(path path: String) -> BSON? {
        var current: BSON? = .document(self)
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            current = current?.documentValue?[String(component)]
        }
        return current
    }

    /// This document with the fields of `other` set over it.
    public func merging(_ other: BSONDocument) -> BSONDocument {
        var result = self
        for (key, value) in other { result[key] = value }
        return result
    }

    public static func == (lhs: BSONDocument, rhs: BSONDocument) -> Bool {
        lhs.elements.elementsEqual(rhs.elements) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(elements.count)
        for (key, value) in elements {
            hasher.combine(key)
            hasher.combine(value)
        }
    }
}

extension BSONDocument: CustomStringConvertible {
    /// Relaxed Extended JSON, as MongoDB tools print it.
    public var description: String { ExtendedJSON.format(.document(self)) }
}
