import Foundation

/// Parses the BSON wire format into ``BSONDocument`` values.
///
/// Rules, and why:
/// - Every length is checked against the buffer and the enclosing document, so that malformed
///   bytes give a ``BSONError`` naming the key path, never a crash.
/// - Nested documents and arrays are kept on an explicit stack rather than the call stack, and
///   nesting beyond ``maxDepth`` is refused (`tooDeep`): a document nested 100,000 levels deep
///   costs an error, not a stack overflow.
/// - Every BSON type is read into a value that the writer turns back into the same bytes.
package struct BSONReader {
    /// The deepest nesting read, the top-level document being level 1. MongoDB stores at most
    /// 100 levels and wraps documents in a few more in replies; the margin lets everything it
    /// sends be read while bounding the work for anything else.
    package static let maxDepth = 150

    let buffer: UnsafeRawBufferPointer
    var offset = 0
    /// The documents and arrays being read, outermost first.
    private var frames: [Frame] = []

    /// A document or array being read.
    private struct Frame {
        enum Kind {
            case document
            case array
            /// The scope document of code with scope; the whole value ends at `valueEnd`.
            case scope(code: String, valueEnd: Int)
        }

        var kind: Kind
        /// Its key in the enclosing container ("" for the top level).
        var key: String
        /// The offset of its terminating NUL.
        var end: Int
        var fields: [BSONDocument.Element] = []
        var elements: [BSON] = []
    }

    private init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    /// Decodes the document at the start of `buffer`. Complexity: O(size of the document).
    package static func decode(_ buffer: UnsafeRawBufferPointer) throws(BSONError) -> BSONDocument {
        var reader = BSONReader(buffer)
        return try reader.readDocument()
    }

    /// Decodes one document from `bytes`.
    package static func decode(_ bytes: [UInt8]) throws(BSONError) -> BSONDocument {
        let result: Result<BSONDocument, BSONError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BSONError) in try decode(raw) }
        }
        return try result.get()
    }

    /// Decodes as much of the document at the start of `buffer` as can be read: the top-level
    /// fields before the first failure, and that failure (nil when the whole document read).
    /// A store uses it to find the `_id` of a document it cannot read and record that document
    /// errored instead of skipping it blindly. Complexity: O(size of the document).
    package static func decodePartially(_ buffer: UnsafeRawBufferPointer) -> (document: BSONDocument, failure: BSONError?) {
        var reader = BSONReader(buffer)
        do {
            return (try reader.readDocument(), nil)
        } catch {
            return (BSONDocument(readFields: reader.frames.first?.fields ?? []), error)
        }
    }

    /// ``decodePartially(_:)-(UnsafeRawBufferPointer)`` on `bytes`.
    package static func decodePartially(_ bytes: [UInt8]) -> (document: BSONDocument, failure: BSONError?) {
        bytes.withUnsafeBytes { decodePartially($0) }
    }

    /// Reads the top-level document: one element, or the end of one container, per turn.
    private mutating func readDocument() throws(BSONError) -> BSONDocument {
        try open(.document, key: "", start: offset)
        while true {
            let top = frames.count - 1
            if offset < frames[top].end {
                let type = buffer[offset]
                offset += 1
                let key = try readCString(key: nil)
                try readElement(type: type, key: key)
                continue
            }
            guard offset == frames[top].end, buffer[offset] == 0 else {
                throw BSONError(.malformed, key: path(), reason: "document does not end where its length says")
            }
            offset += 1
            let frame = frames[top]
            let value: BSON
            switch frame.kind {
            case .document:
                if top == 0 { return BSONDocument(readFields: frame.fields) }
                value = .document(BSONDocument(readFields: frame.fields))
            case .array:
                value = .array(frame.elements)
            case .scope(let code, let valueEnd):
                guard offset == valueEnd else {
                    throw BSONError(.malformed, key: path(), reason: "code with scope does not end where its length says")
                }
                value = .javascriptWithScope(code: code, scope: BSONDocument(readFields: frame.fields))
            }
            frames.removeLast()
            add(key: frame.key, value)
        }
    }

    /// Reads the value of an element whose type byte and key have been read: a scalar is added
    /// to the innermost container, a document or array becomes the innermost container.
    private mutating func readElement(type: UInt8, key: String) throws(BSONError) {
        switch type {
        case 0x03: try open(.document, key: key, start: offset)
        case 0x04: try open(.array, key: key, start: offset)
        case 0x0F:
            let start = offset
            let length = Int(try read(Int32.self, key: key))
            // int32 length, string (int32 length, at least a NUL), document (at least 5 bytes).
            guard length >= 14, length <= frames[frames.count - 1].end - start else {
                throw BSONError(.malformed, key: path(key), reason: "code with scope length \(length) does not fit")
            }
            let code = try readString(key: key)
            try open(.scope(code: code, valueEnd: start + length), key: key, start: offset)
        default:
            add(key: key, try readScalar(type: type, key: key))
        }
    }

    /// Starts reading the container at `start` (its length prefix), after checking its depth
    /// and that it fits inside the enclosing one.
    private mutating func open(_ kind: Frame.Kind, key: String, start: Int) throws(BSONError) {
        guard frames.count < Self.maxDepth else {
            throw BSONError(.tooDeep, key: path(key), reason: "nested more than \(Self.maxDepth) levels deep")
        }
        let length = Int(try read(Int32.self, key: frames.isEmpty ? nil : key))
        // The container's NUL must come before the enclosing one's, or at the buffer's end.
        let limit = frames.last?.end ?? buffer.count
        guard length >= 5, length <= limit - start else {
            throw BSONError(.malformed, key: frames.isEmpty ? nil : path(key), reason: "document length \(length) does not fit")
        }
        if case .scope(_, let valueEnd) = kind, start + length != valueEnd {
            throw BSONError(.malformed, key: path(key), reason: "code with scope does not end where its length says")
        }
        frames.append(Frame(kind: kind, key: key, end: start + length - 1))
    }

    private mutating func add(key: String, _ value: BSON) {
        let top = frames.count - 1
        if case .array = frames[top].kind {
            frames[top].elements.append(value)
        } else {
            frames[top].fields.append((key, value))
        }
    }

    /// The dotted path of the innermost container, and `key` inside it, for errors.
    func path(_ key: String? = nil) -> String? {
        BSONError.keyPath(frames.dropFirst().map(\.key) + (key.map { [$0] } ?? []))
    }
}
