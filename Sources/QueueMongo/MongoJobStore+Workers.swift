import Foundation
import BSON
import Queue

/// Workers (`job_processor.workers`: `_id`, `hostname`, `lastSeen`, `tags`) and signals
/// (`job_processor.signals`: `_id`, `type`, `job_id`, `worker_id`, `created_at`, `ack`), one
/// command per operation.
extension MongoJobStore {
    /// One upsert: registering the same worker again replaces its fields.
    public func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) {
        let update: BSONDocument = ["$set": .document(WorkerDocument.fields(worker))]
        try await on(Self.workersCollection, "register worker \(worker.id)") { workers throws(MongoError) in
            try workers.updateOne(["_id": .objectId(worker.id)], .document(update), upsert: true)
        }
    }

    /// One `updateOne`; no document matched means the worker was declared dead and removed.
    public func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        let result = try await on(Self.workersCollection, "heartbeat of worker \(workerId)") { workers throws(MongoError) in
            try workers.updateOne(["_id": .objectId(workerId)], ["$set": ["lastSeen": .date(now)]])
        }
        return result.matched > 0
    }

    /// One `delete` by `_id`; removing an absent worker is no error.
    public func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) {
        try await on(Self.workersCollection, "remove worker \(workerId)") { workers throws(MongoError) in
            try workers.deleteMany(["_id": .objectId(workerId)])
        }
    }

    /// Every worker, by id.
    public func workers() async throws(JobStoreError) -> [WorkerRecord] {
        let operation = "list workers"
        let documents = try await on(Self.workersCollection, operation, retryingReads: true) { workers throws(MongoError) in
            try workers.find(sort: ["_id": 1])
        }
        var result: [WorkerRecord] = []
        for document in documents {
            do throws(JobStoreError) {
                result.append(try WorkerDocument.decode(document, operation: operation))
            } catch {
                // One bad worker document must not hide the others from crash recovery.
                logger.error("a worker document cannot be read; listing what can be", metadata: ["error": "\(error)"])
                if let worker = WorkerDocument.salvage(document) { result.append(worker) }
            }
        }
        return result
    }

    /// The unacknowledged signals of `workerId`, oldest first (by `created_at`, then `_id`).
    public func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        let operation = "pending signals of worker \(workerId)"
        let documents = try await on(Self.signalsCollection, operation, retryingReads: true) { signals throws(MongoError) in
            try signals.find(["worker_id": .objectId(workerId), "ack": ["$ne": true]], sort: ["created_at": 1, "_id": 1])
        }
        var result: [SignalRecord] = []
        for document in documents {
            do throws(JobStoreError) {
                result.append(try SignalDocument.decode(document, operation: operation))
            } catch {
                // Acknowledged, so that it is reported once rather than block the others for ever.
                logger.error("a signal cannot be read; acknowledging it unread", metadata: ["error": "\(error)"])
                guard let id = document["_id"] else { continue }
                try await on(Self.signalsCollection, "acknowledge unreadable signal") { signals throws(MongoError) in
                    try signals.updateOne(["_id": id], ["$set": ["ack": true]])
                }
            }
        }
        return result
    }

    /// One `updateOne` setting `ack`; an unknown signal is no error.
    public func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) {
        try await on(Self.signalsCollection, "acknowledge signal \(id)") { signals throws(MongoError) in
            try signals.updateOne(["_id": .objectId(id)], ["$set": ["ack": true]])
        }
    }
}
