import Foundation

/// Claims: one `findAndModify` per job. Each claim is guarded by the job's status, so that a job
/// is never claimed twice, and sets it running by the same pipeline update.
extension MongoJobStore {
    /// One `findAndModify`: the earliest due claimable job in scope, set running by a pipeline
    /// update that keeps `started_at` when resuming. A claimed job whose document cannot be read
    /// is recorded `errored` (one more command) and the `invalidDocument` error is thrown, so
    /// that the next claim moves on to the next job.
    public func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        guard !scope.names.isEmpty else { return nil }
        let query = Self.claimable(scope, now: now)
        let update = Self.claimUpdate(by: scope.workerId, at: now)
        let document = try await onJobs("claim") { jobs throws(MongoError) in
            try jobs.findAndModify(query, update: update, sort: Self.claimOrder, returnNew: true)
        }
        guard let document else { return nil }
        do {
            return try JobDocument.decode(document, operation: "claim")
        } catch {
            try await recordUnreadable(document, claimedBy: scope.workerId, error: error, at: now)
            throw error
        }
    }

    /// The jobs `scope` may claim at `now`: `pending` or `paused`, due, of a name in scope, and
    /// runnable (a job or a cron task, never a cron's own document).
    static func claimable(_ scope: ClaimScope, now: Date) -> BSONDocument {
        [
            "status": ["$in": JobDocument.claimable],
            "scheduled_for": ["$lte": .date(now)],
            "name": ["$in": strings(scope.names)],
            "type": ["$in": JobDocument.runnableTypes],
        ]
    }

    /// The order of claims: earliest `scheduled_for` first, then the lowest id.
    static let claimOrder: BSONDocument = ["scheduled_for": 1, "_id": 1]

    /// The claim's update, a pipeline so that `started_at` is set only when the job has none (a
    /// resumed job keeps the time of its first start): running on `workerId`, updated at `now`.
    static func claimUpdate(by workerId: ObjectId, at now: Date) -> BSON {
        [[
            "$set": [
                "status": .string(JobStatus.running.rawValue), "worker_id": .objectId(workerId),
                "updated_at": .date(now), "started_at": ["$ifNull": ["$started_at", .date(now)]],
            ],
        ]]
    }

    /// A claimed job whose document cannot be read would stay `running` on this worker for
    /// ever: record it `errored` with the reason (SPEC §7: one bad job never stops the rest).
    func recordUnreadable(
        _ document: BSONDocument, claimedBy workerId: ObjectId, error: JobStoreError, at now: Date
    ) async throws(JobStoreError) {
        guard let id = document["_id"] else { return }
        logger.error("claimed an unreadable job; recording it errored", metadata: ["error": "\(error)"])
        let update: BSONDocument = leavingActive(.errored, ["$set": [
            "status": .string(JobStatus.errored.rawValue), "worker_id": .null, "updated_at": .date(now),
            "ended_at": .date(now), "output": ["error": .string(error.reason)],
        ]])
        try await onJobs("record unreadable job") { jobs throws(MongoError) in
            try jobs.updateOne(["_id": id, "status": "running", "worker_id": .objectId(workerId)], .document(update))
        }
    }
}
