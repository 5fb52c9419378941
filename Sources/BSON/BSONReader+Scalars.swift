import Foundation

extension BSONReader {
    /// Reads the value of an element that is not a document, array or code with scope.
    /// Complexity: O(size of the value).
    mutating func readScalar(type: UInt8, key: String) throws(BSONError) -> BSON {
        switch type {
        case 0x01: return .double(Double(bitPattern: try read(UInt64.self, key: key)))
        case 0x02: return .string(try readString(key: key))
        case 0x05:
            let count = Int(try read(Int32.self, key: key))
            let subtype = try read(UInt8.self, key: key)
            return .binary(subtype: subtype, bytes: try readBytes(count, key: key))
        case 0x06: return .undefined
        case 0x07: return .objectId(try readObjectId(key: key))
        case 0x08:
            switch try read(UInt8.self, key: key) {
            case 0: return .bool(false)
            case 1: return .bool(true)
            case let byte: throw BSONError(.malformed, key: path(key), reason: "boolean byte \(byte) is neither 0 nor 1")
            }
        case 0x09: return .date(Date(millisecondsSince1970: try read(Int64.self, key: key)))
        case 0x0A: return .null
        case 0x0B:
            let pattern = try readCString(key: key)
            return .regularExpression(pattern: pattern, options: try readCString(key: key))
        case 0x0C:
            let ref = try readString(key: key)
            return .dbPointer(ref: ref, id: try readObjectId(key: key))
        case 0x0D: return .javascript(try readString(key: key))
        case 0x0E: return .symbol(try readString(key: key))
        case 0x10: return .int32(try read(Int32.self, key: key))
        case 0x11:
            let value = try read(UInt64.self, key: key)
            // The increment is the low word, the seconds the high one.
            return .timestamp(t: UInt32(truncatingIfNeeded: value >> 32), i: UInt32(truncatingIfNeeded: value))
        case 0x12: return .int64(try read(Int64.self, key: key))
        case 0x13:
            guard offset <= buffer.count - 16 else { throw truncated(key) }
            defer { offset += 16 }
            return .decimal128(Decimal128(littleEndianBytes: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 16])))
        case 0x7F: return .maxKey
        case 0xFF: return .minKey
        default:
            throw BSONError(.unsupportedType, key: path(key), reason: "BSON type 0x\(String(type, radix: 16)) is not supported")
        }
    }

    /// A little-endian integer. `key` is the element being read (nil for a container's own
    /// fields), for errors.
    mutating func read<T: FixedWidthInteger>(_: T.Type, key: String?) throws(BSONError) -> T {
        let size = MemoryLayout<T>.size
        guard offset <= buffer.count - size else { throw truncated(key) }
        let value = buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readBytes(_ count: Int, key: String) throws(BSONError) -> [UInt8] {
        guard count >= 0, count <= buffer.count - offset else { throw truncated(key) }
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    mutating func readObjectId(key: String) throws(BSONError) -> ObjectId {
        guard let id = ObjectId(bytes: try readBytes(12, key: key)) else { throw truncated(key) }
        return id
    }

    /// A string: int32 length (counting the NUL), UTF-8 bytes, NUL. Invalid UTF-8 is read with
    /// replacement characters, as libbson's callers do, rather than refused.
    mutating func readString(key: String) throws(BSONError) -> String {
        let length = Int(try read(Int32.self, key: key))
        guard length >= 1, length <= buffer.count - offset, buffer[offset + length - 1] == 0 else {
            throw BSONError(.malformed, key: path(key), reason: "string length \(length) does not fit")
        }
        defer { offset += length }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length - 1]), as: UTF8.self)
    }

    /// A NUL-terminated string (a key or a regular expression's parts).
    mutating func readCString(key: String?) throws(BSONError) -> String {
        guard offset < buffer.count, let base = buffer.baseAddress,
              let nul = memchr(base + offset, 0, buffer.count - offset)
        else { throw truncated(key) }
        let end = base.distance(to: UnsafeRawPointer(nul))
        defer { offset = end + 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[offset..<end]), as: UTF8.self)
    }

    func truncated(_ key: String?) -> BSONError {
        BSONError(.malformed, key: path(key), reason: "document ends early")
    }
}
