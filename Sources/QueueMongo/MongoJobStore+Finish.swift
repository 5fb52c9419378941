import Foundation
import BSON
import Queue

/// Endings: one `findAndModify` per job, or one `update` command for a batch whose requests
/// carry their claimed jobs. Each ending is guarded by `{_id, status: running, worker_id}`, so
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

    /// Several endings, each as ``finish(_:by:as:output:at:resumeAt:)`` would record it.
    ///
    /// Two or more requests that all carry their claimed jobs, each naming a different job, go
    /// in one unordered `update` command with one statement per ending (the same guard and
    /// update as a single finish): one command for the batch, plus one `find` of its jobs only
    /// when some statement matched nothing (see ``MongoFinishBatch``). Other batches are
    /// recorded one `findAndModify` after another.
    ///
    /// When the `update` command fails, every request fails with its error (operation
    /// `finish N jobs`): which endings it recorded is unknown. A statement the server refuses
    /// fails its request alone. When the `find` fails, every request fails with its error too.
    /// A job that went back to `pending` or `paused` and was claimed again between the two
    /// commands reads as not recorded (nil): that is the only way the result can differ from
    /// single finishes, and never for an ending with a terminal status.
    public func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        guard let batch = MongoFinishBatch(requests) else { return await finishEach(requests) }
        let statements = requests.map { request in
            (filter: Self.endingGuard(request.id, by: request.workerId), update: endingUpdate(request))
        }
        let update: MongoCollection.BatchUpdateResult
        do throws(JobStoreError) {
            update = try await onJobs(batch.operation) { jobs throws(MongoError) in try jobs.updateEach(statements) }
        } catch {
            return batch.failed(error)
        }
        if let results = batch.results(after: update) { return results }
        let filter: BSONDocument = ["_id": ["$in": .array(batch.ids.map { .objectId($0) })]]
        do throws(JobStoreError) {
            let stored = try await onJobs(batch.operation, retryingReads: true) { jobs throws(MongoError) in
                try jobs.find(filter)
            }
            return batch.results(after: update, stored: stored)
        } catch {
            return batch.failed(error)
        }
    }

    /// Each request by its own `findAndModify`, in order, failed attempts included.
    private func finishEach(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        var results: [Result<Job?, JobStoreError>] = []
        for request in requests {
            let query = Self.endingGuard(request.id, by: request.workerId)
            let (update, operation) = (endingUpdate(request), "finish job \(request.id)")
            do throws(JobStoreError) {
                let document = try await onJobs(operation) { jobs throws(MongoError) in
                    try jobs.findAndModify(query, update: .document(update), returnNew: true)
                }
                results.append(.success(try document.map { document throws(JobStoreError) in
                    try JobDocument.decode(document, operation: operation)
                }))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// The update of `request`'s ending, with its failed attempt's count and errors if any.
    func endingUpdate(_ request: FinishRequest) -> BSONDocument {
        var update = endingUpdate(as: request.status, output: request.output, at: request.at, resumeAt: request.resumeAt)
        if let failure = request.failure, var set = update["$set"]?.documentValue {
            set["attempts"] = .int32(Int32(clamping: failure.attempts))
            set["attempt_errors"] = JobDocument.encode(failure.errors)
            update["$set"] = .document(set)
        }
        return update
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
        return update.merging(["$unset": [JobDocument.exclusiveKey: "", JobDocument.heldUniqueKey: ""]])
    }
}
