import CMongoC
import BSON
import Queue

extension BSONDocument {
    /// Copies the document held by a libbson `bson_t` (replies, cursor results).
    /// - Throws: ``BSONError`` when libbson hands over bytes this library cannot read.
    init(copying bson: OpaquePointer) throws(BSONError) {
        guard let data = bson_get_data(bson) else { throw BSONError(.malformed, reason: "no data") }
        // libbson keeps the length it checked in the bson_t; reading it from the bytes, as the
        // document's first int32, needs a guard against a negative count, which would trap.
        let length = Int(Int32(littleEndian: UnsafeRawPointer(data).loadUnaligned(as: Int32.self)))
        guard length >= 5 else { throw BSONError(.malformed, reason: "document length \(length) does not fit") }
        self = try BSONReader.decode(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The top-level fields of a libbson `bson_t` read before the first one that cannot be read
    /// (``BSONReader/decodePartially(_:)-(UnsafeRawBufferPointer)``).
    init(partiallyCopying bson: OpaquePointer) {
        guard let data = bson_get_data(bson) else {
            self.init()
            return
        }
        let length = Int(Int32(littleEndian: UnsafeRawPointer(data).loadUnaligned(as: Int32.self)))
        self = BSONReader.decodePartially(UnsafeRawBufferPointer(start: data, count: length)).document
    }

    /// Calls `body` with a libbson `bson_t` holding this document, valid only during the call.
    func withBSON<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        let bytes = BSONWriter.encode(self)
        // bson_new_from_data copies the bytes into a heap bson_t that libbson allocates with the
        // alignment it needs; it only returns nil for bytes that are not a document.
        let bson = bytes.withUnsafeBufferPointer { bson_new_from_data($0.baseAddress, $0.count) }!
        defer { bson_destroy(bson) }
        return try body(bson)
    }
}

/// A `bson_t` that libmongoc fills in (a reply), in storage Swift allocates with the alignment
/// libbson declares. The reply is destroyed with the storage.
final class BSONReply {
    let pointer: OpaquePointer
    private let storage: UnsafeMutableRawPointer

    init() {
        // Round the size up to the alignment so that the allocation is a whole stride.
        let alignment = cmongoc_bson_alignment()
        let size = (cmongoc_bson_size() + alignment - 1) / alignment * alignment
        storage = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: alignment)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        pointer = OpaquePointer(storage)
        bson_init(pointer)
    }

    /// The reply as a document (empty when libmongoc wrote nothing).
    func document() throws(BSONError) -> BSONDocument { try BSONDocument(copying: pointer) }

    deinit {
        bson_destroy(pointer)
        storage.deallocate()
    }
}

@available(*, unavailable, message: "a libbson reply belongs to the thread that made the call")
extension BSONReply: Sendable {}
