extension BSONDocument {
    /// Refuses a document MongoDB would not store: nested more than `maxDepth` levels, or
    /// larger than `maxBytes` once encoded. Called at `schedule`, so that the caller gets a
    /// clear error at once rather than a job that fails later in a worker or in the database.
    ///
    /// Depth is counted as MongoDB counts it for stored documents: the top-level document is
    /// level 1 and each non-empty document or array inside another adds one level (an empty
    /// one adds none). The scope of code with scope counts like a document too, which MongoDB
    /// does not check, so that whatever passes stays within what ``BSONReader`` reads.
    ///
    /// The depth is checked first, without recursion, so that a value nested 100,000 levels
    /// deep in memory costs an error, not a stack overflow; the size is then computed without
    /// encoding. Complexity: O(size of the document).
    /// - Throws: ``BSONError`` with code `tooDeep` naming the first key path that is too deep,
    ///   or `tooLarge` with the document's size.
    package func checkStorable(maxDepth: Int = 100, maxBytes: Int = 16 * 1024 * 1024) throws(BSONError) {
        try checkDepth(maxDepth)
        let size = Self.encodedSize(self)
        guard size <= maxBytes else {
            throw BSONError(.tooLarge, reason: "document is \(Self.grouped(size)) bytes; MongoDB stores at most \(Self.grouped(maxBytes))")
        }
    }

    /// One document or array being walked by `checkDepth`.
    private struct Level {
        enum Values {
            case document(BSONDocument)
            case array([BSON])
        }

        /// Its key in the enclosing level ("" for the top level).
        var key: String
        var values: Values
        var next = 0

        /// The next key and value, or nil when all were visited.
        mutating func advance() -> (key: String, value: BSON)? {
            defer { next += 1 }
            switch values {
            case .document(let document): return next < document.count ? document[next] : nil
            case .array(let elements): return next < elements.count ? (String(next), elements[next]) : nil
            }
        }
    }

    /// Walks the document with an explicit stack, descending into non-empty documents, arrays
    /// and scopes, and throws at the first one that would be level `maxDepth + 1`.
    private func checkDepth(_ maxDepth: Int) throws(BSONError) {
        var levels = [Level(key: "", values: .document(self))]
        while !levels.isEmpty {
            guard let (key, value) = levels[levels.count - 1].advance() else {
                levels.removeLast()
                continue
            }
            let inner: Level.Values
            switch value {
            case .document(let document) where !document.isEmpty: inner = .document(document)
            case .array(let elements) where !elements.isEmpty: inner = .array(elements)
            case .javascriptWithScope(_, let scope) where !scope.isEmpty: inner = .document(scope)
            default: continue
            }
            guard levels.count < maxDepth else {
                throw BSONError(.tooDeep, key: BSONError.keyPath(levels.dropFirst().map(\.key) + [key]),
                                reason: "nested \(levels.count + 1) levels deep; MongoDB stores at most \(maxDepth)")
            }
            levels.append(Level(key: key, values: inner))
        }
    }

    /// The size of `document`'s BSON encoding, as ``BSONWriter`` would write it. Recursive: the
    /// caller bounds the depth first.
    static func encodedSize(_ document: BSONDocument) -> Int {
        var size = 5  // int32 length and the final NUL
        for (key, value) in document { size += 2 + key.utf8.count + encodedSize(value) }
        return size
    }

    private static func encodedSize(_ value: BSON) -> Int {
        switch value {
        case .double, .date, .int64, .timestamp: 8
        case .string(let text), .javascript(let text), .symbol(let text): 5 + text.utf8.count
        case .document(let document): encodedSize(document)
        case .array(let elements):
            elements.indices.reduce(5) { size, index in size + 2 + decimalDigits(index) + encodedSize(elements[index]) }
        case .binary(_, let bytes): 5 + bytes.count
        case .objectId: 12
        case .bool: 1
        case .null, .undefined, .minKey, .maxKey: 0
        case .int32: 4
        case .decimal128: 16
        case .regularExpression(let pattern, let options): 2 + pattern.utf8.count + options.utf8.count
        case .javascriptWithScope(let code, let scope): 9 + code.utf8.count + encodedSize(scope)
        case .dbPointer(let ref, _): 17 + ref.utf8.count
        }
    }

    /// The number of decimal digits of a non-negative `number` (an array index as a key).
    private static func decimalDigits(_ number: Int) -> Int {
        var digits = 1
        var rest = number
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        return digits
    }

    /// `16,777,216`.
    private static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { text += "," }
            text.append(digit)
        }
        return text
    }
}
