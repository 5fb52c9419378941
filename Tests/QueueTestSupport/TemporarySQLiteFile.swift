import BSON
import Foundation

/// A path in the temporary directory for one test's database; ``remove()`` deletes the file
/// and its WAL companions.
public struct TemporarySQLiteFile: Sendable {
    public let path = FileManager.default.temporaryDirectory.appendingPathComponent("job-processor-\(ObjectId()).sqlite").path

    public init() {}

    public func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
