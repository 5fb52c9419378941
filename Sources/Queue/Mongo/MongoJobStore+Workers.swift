import Foundation

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

/// The MongoDB form of a ``WorkerRecord``; `tags` is null for a worker that takes every job.
enum WorkerDocument {
    /// The fields other than `_id`, as `registerWorker` sets them.
    static func fields(_ worker: WorkerRecord) -> BSONDocument {
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
    static func salvage(_ document: BSONDocument) -> WorkerRecord? {
        guard let id = document["_id"]?.objectIdValue else { return nil }
        let tags = document["tags"]?.arrayValue.map { $0.compactMap(\.stringValue) }
        return WorkerRecord(
            id: id, hostname: document["hostname"]?.stringValue ?? "?", tags: tags,
            lastSeen: document["lastSeen"]?.dateValue ?? .distantPast)
    }

    /// The worker stored as `document`.
    /// - Throws: ``JobStoreError`` with code `invalidDocument` naming the worker and the field.
    static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> WorkerRecord {
        let fields = StoredDocumentReader(document, kind: "worker", operation: operation)
        return WorkerRecord(
            id: try fields.objectId("_id"), hostname: try fields.string("hostname"),
            tags: try fields.optionalStrings("tags"), lastSeen: try fields.date("lastSeen"))
    }
}

/// The MongoDB form of a ``SignalRecord``: its kind is stored as `type`, acknowledgement as `ack`.
enum SignalDocument {
    /// The whole document, `_id` included.
    static func encode(_ signal: SignalRecord) -> BSONDocument {
        [
            "_id": .objectId(signal.id), "type": .string(signal.kind.rawValue), "job_id": .objectId(signal.jobId),
            "worker_id": .objectId(signal.workerId), "created_at": .date(signal.createdAt),
            "ack": .bool(signal.acknowledged),
        ]
    }

    /// The signal stored as `document`; a missing `ack` reads as not acknowledged.
    /// - Throws: ``JobStoreError`` with code `invalidDocument` naming the signal and the field.
    static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> SignalRecord {
        let fields = StoredDocumentReader(document, kind: "signal", operation: operation)
        return SignalRecord(
            id: try fields.objectId("_id"), kind: try fields.value("type", as: SignalRecord.Kind.self),
            jobId: try fields.objectId("job_id"), workerId: try fields.objectId("worker_id"),
            createdAt: try fields.date("created_at"), acknowledged: try fields.optionalBool("ack") ?? false)
    }
}
