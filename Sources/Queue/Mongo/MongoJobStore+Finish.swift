import Foundation

/// Endings: one `findAndModify` per job, each guarded by `{_id, status: running, worker_id}`, so
/// that an ending never overwrites a job killed, taken over by dead-worker recovery, or run by
/// another worker.
extension MongoJobStore {
    /// One `findAndModify` guarded by `{_id, status: running, worker_id}`.
    public func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        let query = Self.endingGuard(id, by: workerId)
        let update = endingUpdate(as: status, output: output, at: now, resumeAt: resumeAt)
        let operation = "finish job \(id)"
        let document = try await onJobs(operation) { jobs throws(MongoError) in
            try jobs.findAndModify(query, update: .document(update), returnNew: true)
        }
        guard let document else { return nil }
        return try JobDocument.decode(document, operation: operation)
    }

    /// The guard of an ending: the job, still running on the worker that ends it.
    static func endingGuard(_ id: ObjectId, by workerId: ObjectId) -> BSONDocument {
        ["_id": .objectId(id), "status": .string(JobStatus.running.rawValue), "worker_id": .objectId(workerId)]
    }

    /// The update of an ending: status, output and `updated_at` set, the worker cleared,
    /// `ended_at` set for a terminal status, `scheduled_for` moved to `resumeAt` when given, and
    /// `exclusive_key` unset as the job leaves the active statuses (``leavingActive(_:_:)``).
    func endingUpdate(as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?) -> BSONDocument {
        var set: BSONDocument = [
            "status": .string(status.rawValue), "output": output.map { .document(JobDocument.encode($0)) } ?? .null,
            "updated_at": .date(now), "worker_id": .null,
        ]
        if status.isTerminal { set["ended_at"] = .date(now) }
        if let resumeAt { set["scheduled_for"] = .date(resumeAt) }
        return leavingActive(status, ["$set": .document(set)])
    }

    /// `update` with `exclusive_key` unset when the job leaves the active statuses and the
    /// fallback enforcement is in effect, in the same atomic write.
    func leavingActive(_ status: JobStatus, _ update: BSONDocument) -> BSONDocument {
        guard usesExclusiveKey, !JobStatus.active.contains(status) else { return update }
        return update.merging(["$unset": [JobDocument.exclusiveKey: ""]])
    }
}
