import Foundation
import Synchronization

/// A MongoDB ObjectId: 12 bytes, unique across processes, roughly ordered by creation time.
///
/// New identifiers follow the ObjectId specification: 4 bytes of seconds since 1970, 5 random
/// bytes drawn once per process, and a 3-byte counter that starts at a random value, all
/// big-endian; thread-safe (one atomic increment).
public struct ObjectId: Sendable, Hashable, Comparable, CustomStringConvertible {
    // The 12 bytes held inline as two big-endian integers (no heap array): ids are hashed and
    // compared on every claim and ending, and comparing (high, low) orders them as the bytes.
    private let high: UInt64
    private let low: UInt32

    /// The 12 bytes, big-endian as stored.
    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(12)
        withUnsafeBytes(of: high.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: low.bigEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// A new, unique identifier. Complexity: O(1), one atomic increment.
    public init() {
        let seconds = UInt64(UInt32(truncatingIfNeeded: Int64(Date().timeIntervalSince1970)))
        let counter = UInt32(truncatingIfNeeded: Self.counter.wrappingAdd(1, ordering: .relaxed).oldValue) & 0xFF_FFFF
        // seconds (4 bytes) | process value (5 bytes) | counter (3 bytes)
        high = seconds << 32 | Self.processValue >> 8
        low = UInt32(truncatingIfNeeded: Self.processValue & 0xFF) << 24 | counter
    }

    /// The 5 random bytes of this process, in the low 40 bits.
    private static let processValue = UInt64.random(in: 0...0xFF_FFFF_FFFF)
    /// The counter of new identifiers, starting at a random value.
    private static let counter = Atomic<UInt32>(UInt32.random(in: 0...0xFF_FFFF))

    /// The identifier with these 12 bytes; nil when there are not exactly 12.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 12 else { return nil }
        self = bytes.withUnsafeBytes { Self(raw: $0) }
    }

    /// Parses 24 hexadecimal digits; nil for anything else.
    public init?(_ hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 24 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(12)
        for index in stride(from: 0, to: 24, by: 2) {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// From exactly 12 raw bytes.
    private init(raw: UnsafeRawBufferPointer) {
        high = UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
        low = UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
    }

    /// 24 lowercase hexadecimal digits.
    public var description: String {
        // Written straight into the string's storage, from the two integers (one allocation,
        // where going through `bytes` and an array took four): the SQLite store binds every id
        // as this text.
        String(unsafeUninitializedCapacity: 24) { text in
            func hex(_ nibble: UInt64) -> UInt8 {
                nibble < 10 ? UInt8(ascii: "0") + UInt8(nibble) : UInt8(ascii: "a") + UInt8(nibble - 10)
            }
            for index in 0..<16 { text[index] = hex((high >> UInt64(60 - 4 * index)) & 0xF) }
            for index in 0..<8 { text[16 + index] = hex((UInt64(low) >> UInt64(28 - 4 * index)) & 0xF) }
            return 24
        }
    }

    public static func < (lhs: ObjectId, rhs: ObjectId) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
