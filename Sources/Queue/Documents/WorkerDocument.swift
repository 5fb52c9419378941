import BSON
import Foundation

/// The MongoDB form of a ``WorkerRecord``; `tags` is null for a worker that takes every job.
package enum WorkerDocument {
    /// The fields other than `_id`, as `registerWorker` sets them.
    package static func fields(_ worker: WorkerRecord) -> BSONDocument {
        [
            "hostname": .string(worker.hostname),
            "lastSeen": .date(worker.lastSeen),
            "tags": worker.tags.map { .array($0.map { .string($0) }) } ?? .null,
        ]
    }

    /// What can be read of a worker document that ``decode(_:operation:)`` refuses, so that
    /// crash recovery still sees it: nil without an ObjectId `_id`; an unreadable `hostname`
    /// reads as `?`, unreadable `tags` as none, and an unreadable `lastSeen` as never seen, so
    /// that the worker counts as dead (no live worker of ours or the Node version's writes
    /// anything but a date there) and its jobs are recovered.
    package static func salvage(_ document: BSONDocument) -> WorkerRecord? {
        guard let id = document["_id"]?.objectIdValue else { return nil }
        let tags = document["tags"]?.arrayValue.map { $0.compactMap(\.stringValue) }
        return WorkerRecord(
            id: id, hostname: document["hostname"]?.stringValue ?? "?", tags: tags,
            lastSeen: document["lastSeen"]?.dateValue ?? .distantPast)
    }

    /// The worker stored as `document`.
    /// - Throws: ``JobStoreError`` with code `invalidDocument` naming the worker and the field.
    package static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> WorkerRecord {
        let fields = StoredDocumentReader(document, kind: "worker", operation: operation)
        return WorkerRecord(
            id: try fields.objectId("_id"), hostname: try fields.string("hostname"),
            tags: try fields.optionalStrings("tags"), lastSeen: try fields.date("lastSeen"))
    }
}
