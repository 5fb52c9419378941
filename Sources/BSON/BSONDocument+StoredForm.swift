import Foundation

extension BSONDocument {
    /// This document as writing it in the BSON format and reading it back gives it, computed
    /// without the round trip: every date cut to its whole millisecond, as BSON keeps dates.
    ///
    /// Why: a store returns a job as a read would return it, and encoding and decoding each
    /// payload to compute that costs more than the store's write of a small job. Nil where
    /// the round trip would change more than dates, or could fail: a key or regular expression
    /// holding NUL (the writer replaces it), nesting deeper than `maxDepth` levels (the
    /// document itself is level 1): the caller then makes the round trip.
    /// - Complexity: O(size of the document); allocates only where a date changes.
    package func storedForm(maxDepth: Int = 100) -> BSONDocument? {
        switch Self.storedForm(of: self, depth: maxDepth) {
        case .unchanged: self
        case .changed(let document): document
        case .unknown: nil
        }
    }

    /// What the round trip does to a value.
    private enum StoredForm<Value> {
        case unchanged
        case changed(Value)
        case unknown
    }

    private static func storedForm(of document: BSONDocument, depth: Int) -> StoredForm<BSONDocument> {
        guard depth > 0 else { return .unknown }
        var fields: [Element]?  // set at the first change: the fields so far, then every field
        for (position, field) in document.enumerated() {
            guard !field.key.utf8.contains(0) else { return .unknown }
            switch storedForm(of: field.value, depth: depth - 1) {
            case .unknown:
                return .unknown
            case .unchanged:
                fields?.append(field)
            case .changed(let value):
                if fields == nil { fields = Array(document.prefix(position)) }
                fields?.append((field.key, value))
            }
        }
        return fields.map { .changed(BSONDocument(readFields: $0)) } ?? .unchanged
    }

    /// `depth`: how many more levels of documents and arrays may open from here.
    private static func storedForm(of value: BSON, depth: Int) -> StoredForm<BSON> {
        switch value {
        case .date(let date):
            let stored = Date(millisecondsSince1970: date.millisecondsSince1970)
            return stored == date ? .unchanged : .changed(.date(stored))
        case .document(let document):
            switch storedForm(of: document, depth: depth) {
            case .unchanged: return .unchanged
            case .changed(let stored): return .changed(.document(stored))
            case .unknown: return .unknown
            }
        case .array(let elements):
            guard depth > 0 else { return .unknown }
            var stored: [BSON]?
            for (position, element) in elements.enumerated() {
                switch storedForm(of: element, depth: depth - 1) {
                case .unknown:
                    return .unknown
                case .unchanged:
                    stored?.append(element)
                case .changed(let value):
                    if stored == nil { stored = Array(elements.prefix(position)) }
                    stored?.append(value)
                }
            }
            return stored.map { .changed(.array($0)) } ?? .unchanged
        case .javascriptWithScope(let code, let scope):
            switch storedForm(of: scope, depth: depth) {
            case .unchanged: return .unchanged
            case .changed(let stored): return .changed(.javascriptWithScope(code: code, scope: stored))
            case .unknown: return .unknown
            }
        case .regularExpression(let pattern, let options):
            return pattern.utf8.contains(0) || options.utf8.contains(0) ? .unknown : .unchanged
        default:
            return .unchanged
        }
    }
}
