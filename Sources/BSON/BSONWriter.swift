import Foundation

/// Serialises documents to the BSON wire format (bsonspec.org), little-endian.
///
/// Pure Swift on a growing byte array: libmongoc receives the bytes through
/// `bson_new_from_data`, so no 128-byte-aligned `bson_t` is built field by field from Swift.
///
/// Nested values are written recursively, once per level: the callers bound the depth (the
/// reader refuses more than 150 levels, `checkStorable` more than 100 before a value is
/// stored).
package struct BSONWriter {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(256) }

    /// The bytes of `document`. Complexity: O(size of the document).
    package static func encode(_ document: BSONDocument) -> [UInt8] {
        var writer = BSONWriter()
        writer.write(document)
        return writer.bytes
    }

    mutating func write(_ document: BSONDocument) {
        writeContainer(document.lazy.map { ($0.key, $0.value) })
    }

    private mutating func writeContainer(_ fields: some Sequence<(String, BSON)>) {
        let start = bytes.count
        append(Int32(0))  // length, patched below
        for (key, value) in fields {
            bytes.append(value.typeCode)
            appendCString(key)
            write(value)
        }
        bytes.append(0)
        patchLength(at: start)
    }

    private mutating func write(_ value: BSON) {
        switch value {
        case .double(let number): append(number.bitPattern)
        case .string(let text): appendString(text)
        case .document(let document): write(document)
        case .array(let elements):
            writeContainer(elements.enumerated().lazy.map { (String($0.offset), $0.element) })
        case .binary(let subtype, let data):
            append(Int32(truncatingIfNeeded: data.count))
            bytes.append(subtype)
            bytes.append(contentsOf: data)
        case .objectId(let id): bytes.append(contentsOf: id.bytes)
        case .bool(let flag): bytes.append(flag ? 1 : 0)
        case .date(let date): append(date.millisecondsSince1970)
        case .null, .minKey, .maxKey, .undefined: break
        case .int32(let number): append(number)
        case .int64(let number): append(number)
        case .decimal128(let decimal):
            append(decimal.low)
            append(decimal.high)
        case .regularExpression(let pattern, let options):
            appendCString(pattern)
            appendCString(options)
        case .timestamp(let t, let i): append(UInt64(t) << 32 | UInt64(i))
        case .javascript(let code): appendString(code)
        case .javascriptWithScope(let code, let scope):
            let start = bytes.count
            append(Int32(0))  // length of the whole value, patched below
            appendString(code)
            write(scope)
            patchLength(at: start)
        case .symbol(let text): appendString(text)
        case .dbPointer(let ref, let id):
            appendString(ref)
            bytes.append(contentsOf: id.bytes)
        }
    }

    /// Milliseconds since 1970, rounded down, as BSON stores dates (total: see
    /// `Date.millisecondsSince1970`).
    package static func milliseconds(_ date: Date) -> Int64 { date.millisecondsSince1970 }

    /// A string: int32 length counting the NUL, the UTF-8 bytes, NUL.
    private mutating func appendString(_ text: String) {
        let count = text.utf8.count
        append(Int32(truncatingIfNeeded: count + 1))
        bytes.append(contentsOf: text.utf8)
        bytes.append(0)
    }

    /// Writes the length of the value that starts at `start` and ends here into its first four
    /// bytes. The caller keeps documents within MongoDB's 16 MiB (`checkStorable`), far below
    /// the 2 GiB an int32 holds.
    private mutating func patchLength(at start: Int) {
        let length = Int32(truncatingIfNeeded: bytes.count - start)
        withUnsafeBytes(of: length.littleEndian) { raw in
            for offset in 0..<4 { bytes[start + offset] = raw[offset] }
        }
    }

    private mutating func appendCString(_ text: String) {
        // BSON keys cannot hold NUL; one would end the key early and corrupt the document.
        bytes.append(contentsOf: text.utf8.lazy.map { $0 == 0 ? UInt8(ascii: "?") : $0 })
        bytes.append(0)
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
