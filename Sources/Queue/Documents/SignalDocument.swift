import BSON
import Foundation

/// The MongoDB form of a ``SignalRecord``: its kind is stored as `type`, acknowledgement as `ack`.
package enum SignalDocument {
    /// The whole document, `_id` included.
    package static func encode(_ signal: SignalRecord) -> BSONDocument {
        [
            "_id": .objectId(signal.id), "type": .string(signal.kind.rawValue), "job_id": .objectId(signal.jobId),
            "worker_id": .objectId(signal.workerId), "created_at": .date(signal.createdAt),
            "ack": .bool(signal.acknowledged),
        ]
    }

    /// The signal stored as `document`; a missing `ack` reads as not acknowledged.
    /// - Throws: ``JobStoreError`` with code `invalidDocument` naming the signal and the field.
    package static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> SignalRecord {
        let fields = StoredDocumentReader(document, kind: "signal", operation: operation)
        return SignalRecord(
            id: try fields.objectId("_id"), kind: try fields.value("type", as: SignalRecord.Kind.self),
            jobId: try fields.objectId("job_id"), workerId: try fields.objectId("worker_id"),
            createdAt: try fields.date("created_at"), acknowledged: try fields.optionalBool("ack") ?? false)
    }
}
