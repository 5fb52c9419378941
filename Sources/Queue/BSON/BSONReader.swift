import Foundation

/// Parses the BSON wire format into ``BSONDocument`` values, checking every length against the
/// buffer so that a malformed document gives a ``BSONError`` instead of a crash.
struct BSONReader {
    private let buffer: UnsafeRawBufferPointer
    private var offset = 0

    private init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    /// Decodes one document occupying `buffer`. Complexity: O(size of the document).
    static func decode(_ buffer: UnsafeRawBufferPointer) throws(BSONError) -> BSONDocument {
        var reader = BSONReader(buffer)
        return try reader.readDocument(path: "")
    }

    /// Decodes one document from `bytes`.
    static func decode(_ bytes: [UInt8]) throws(BSONError) -> BSONDocument {
        let result: Result<BSONDocument, BSONError> = bytes.withUnsafeBytes { raw in
            Result { () throws(BSONError) in try decode(raw) }
        }
        return try result.get()
    }

    private mutating func readDocument(path: String) throws(BSONError) -> BSONDocument {
        var document = BSONDocument()
        try readContainer(path: path) { key, value in document[key] = value }
        return document
    }

    private mutating func readContainer(
        path: String, _ add: (String, BSON) -> Void
    ) throws(BSONError) {
        let start = offset
        let length = Int(try read(Int32.self, path: path))
        guard length >= 5, start + length <= buffer.count else {
            throw BSONError(.malformed, key: path.isEmpty ? nil : path, reason: "document length \(length) does not fit")
        }
        let end = start + length - 1
        while offset < end {
            let type = buffer[offset]
            offset += 1
            let key = try readCString(path: path)
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            add(key, try readValue(type: type, path: keyPath))
        }
        guard offset == end, buffer[end] == 0 else {
            throw BSONError(.malformed, key: path.isEmpty ? nil : path, reason: "document does not end where its length says")
        }
        offset = end + 1
    }

    private mutating func readValue(type: UInt8, path: String) throws(BSONError) -> BSON {
        switch type {
        case 0x01: return .double(Double(bitPattern: try read(UInt64.self, path: path)))
        case 0x02: return .string(try readString(path: path))
        case 0x03: return .document(try readDocument(path: path))
        case 0x04:
            var elements: [BSON] = []
            try readContainer(path: path) { _, value in elements.append(value) }
            return .array(elements)
        case 0x05:
            let count = Int(try read(Int32.self, path: path))
            let subtype = try read(UInt8.self, path: path)
            return .binary(subtype: subtype, bytes: try readBytes(count, path: path))
        case 0x07: return .objectId(ObjectId(bytes: try readBytes(12, path: path))!)
        case 0x08: return .bool(try read(UInt8.self, path: path) != 0)
        case 0x09:
            return .date(Date(millisecondsSince1970: try read(Int64.self, path: path)))
        case 0x0A: return .null
        case 0x10: return .int32(try read(Int32.self, path: path))
        case 0x12: return .int64(try read(Int64.self, path: path))
        default:
            throw BSONError(.unsupportedType, key: path, reason: "BSON type 0x\(String(type, radix: 16)) is not supported")
        }
    }

    private mutating func read<T: FixedWidthInteger>(_: T.Type, path: String) throws(BSONError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= buffer.count else { throw truncated(path) }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    private mutating func readBytes(_ count: Int, path: String) throws(BSONError) -> [UInt8] {
        guard count >= 0, offset + count <= buffer.count else { throw truncated(path) }
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    private mutating func readString(path: String) throws(BSONError) -> String {
        let length = Int(try read(Int32.self, path: path))
        guard length >= 1, offset + length <= buffer.count, buffer[offset + length - 1] == 0 else {
            throw BSONError(.malformed, key: path, reason: "string length \(length) does not fit")
        }
        defer { offset += length }
        return String(decoding: buffer[offset..<offset + length - 1], as: UTF8.self)
    }

    private mutating func readCString(path: String) throws(BSONError) -> String {
        guard let end = buffer[offset...].firstIndex(of: 0) else { throw truncated(path) }
        defer { offset = end + 1 }
        return String(decoding: buffer[offset..<end], as: UTF8.self)
    }

    private func truncated(_ path: String) -> BSONError {
        BSONError(.malformed, key: path.isEmpty ? nil : path, reason: "document ends early")
    }
}
