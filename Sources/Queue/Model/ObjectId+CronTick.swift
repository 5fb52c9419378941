import Foundation
import BSON

extension ObjectId {
    /// The id of the task of cron `name`'s tick due at `due`: the same in every process and at
    /// every attempt, so that a tick taken again after a failure names the document an earlier
    /// attempt stored (``JobStore/advanceCron(_:from:to:creating:)``), and a second insert of it
    /// is refused by the `_id` index.
    ///
    /// Layout, that of any ObjectId: bytes 0–3 hold `due`'s whole seconds since 1970 (big-endian,
    /// kept to their low 32 bits as an ObjectId's time is), so that tools reading an id's time
    /// see the tick's due time; bytes 4–11 hold the 64-bit FNV-1a hash of the name's UTF-8
    /// bytes, a 0xFF byte (which UTF-8 never contains, so that no name runs into the time), and
    /// `due`'s milliseconds since 1970 as 8 big-endian bytes (two's complement). FNV-1a rather
    /// than Swift's `Hasher`, whose seed is random in every process. A random ObjectId equals
    /// such an id only if its 8 bytes of random value and counter equal the hash.
    ///
    /// Complexity: O(n) in the name's UTF-8 length.
    public init(cronTick name: String, due: Date) {
        let milliseconds = Self.milliseconds(due)
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds + 1) / 1000 - 1
        var hash = FNV1a64()
        for byte in name.utf8 { hash.add(byte) }
        hash.add(0xFF)
        withUnsafeBytes(of: milliseconds.bigEndian) { for byte in $0 { hash.add(byte) } }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: seconds).bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: hash.value.bigEndian) { bytes.append(contentsOf: $0) }
        self.init(bytes: bytes)!  // 12 bytes: 4 and 8
    }

    /// Whole milliseconds since 1970, rounded down, as a BSON date keeps them; the nearest
    /// bound for a date beyond Int64's range, 0 for NaN.
    private static func milliseconds(_ date: Date) -> Int64 {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        guard milliseconds.isFinite else { return milliseconds.isNaN ? 0 : (milliseconds < 0 ? .min : .max) }
        guard let exact = Int64(exactly: milliseconds) else { return milliseconds < 0 ? .min : .max }
        return exact
    }
}

/// The 64-bit FNV-1a hash (Fowler–Noll–Vo): a hash of fixed definition, the same in every
/// process and on every platform.
private struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }
}
