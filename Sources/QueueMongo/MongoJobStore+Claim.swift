import Foundation
import BSON
import Queue

/// Claims: one `findAndModify` per job, or, when there is a backlog, one `find` and one `update`
/// for several. Each claim is guarded by the job's status, so that a job is never claimed twice,
/// and sets it running by the same pipeline update.
extension MongoJobStore {
    /// One `findAndModify`: the earliest due claimable job in scope, set running by a pipeline
    /// update that keeps `started_at` when resuming. A claimed job whose document cannot be read
    /// is recorded `errored` (one more command) and the `invalidDocument` error is thrown, so
    /// that the next claim moves on to the next job.
    public func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        guard !scope.names.isEmpty else { return nil }
        let query = Self.claimable(scope, now: now)
        let update = Self.claimUpdate(by: scope.workerId, at: now)
        let document: BSONDocument?
        do throws(JobStoreError) {
            document = try await onJobs("claim") { jobs throws(MongoError) in
                try jobs.findAndModify(query, update: update, sort: Self.claimOrder, returnNew: true)
            }
        } catch where error.code == .invalidDocument {
            // The job was claimed but its document cannot be read back: found again by what the
            // claim wrote, it is recorded errored rather than left running here unknown.
            try await recordUnreadableClaim(by: scope.workerId, at: now, error: error)
            throw error
        }
        previousClaimFoundJob.store(document != nil, ordering: .relaxed)
        guard let document else {
            await skipExpired(scope, now: now)
            return nil
        }
        do {
            return try JobDocument.decode(document, operation: "claim")
        } catch {
            try await recordUnreadable(document, claimedBy: scope.workerId, error: error, at: now)
            throw error
        }
    }

    /// Up to `limit` due jobs in scope, earliest first, as consecutive ``claim(_:now:)`` calls
    /// would take them.
    ///
    /// With `limit` 1, or when this store's previous claim found nothing (no sign of a backlog,
    /// see ``previousClaimFoundJob``): one ``claim(_:now:)``, one `findAndModify`. Otherwise one
    /// `find` of the `limit` earliest due claimable jobs, then one `update` claiming those that
    /// no other worker changed in between (``MongoClaimBatch``): two commands for the batch, plus
    /// one `find` only when other workers took some of them in between (those are not replaced:
    /// fewer than `limit` come back). A `find` that finds a single job hands over to the single
    /// claim: `findAndModify` returns the job as stored and, should another worker take it first,
    /// claims the next due job rather than report an empty queue. So does a batch that lost
    /// every job to other workers. A claimed job that cannot be read is recorded `errored` and
    /// the others are returned; its error is thrown only when nothing else was claimed.
    ///
    /// When a command fails, its error is thrown; a failed `update` or second `find` leaves
    /// unknown which jobs were claimed, as a `findAndModify` whose reply is lost does. A worker
    /// must not run two claims at once (the scheduler never does): the second `find` could not
    /// tell their jobs apart.
    public func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        guard limit > 0, !scope.names.isEmpty else { return [] }
        guard limit > 1, previousClaimFoundJob.load(ordering: .relaxed) else { return try await claimOne(scope, now: now) }
        let candidates = try await findClaimable(scope, now: now, limit: limit)
        guard let batch = MongoClaimBatch(candidates, scope: scope, now: now) else {
            if candidates.isEmpty {
                previousClaimFoundJob.store(false, ordering: .relaxed)
                await skipExpired(scope, now: now)
                return []
            }
            // One due job: an `update` of it would cost as much as a `findAndModify` (two
            // commands with the find) but would return nothing if another worker took it first.
            return try await claimOne(scope, now: now)
        }
        let jobs = try await claim(batch)
        return jobs.isEmpty ? try await claimOne(scope, now: now) : jobs
    }

    /// One `find`: the documents of the `limit` jobs `scope` would claim next, in claim order.
    func findClaimable(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [BSONDocument] {
        let filter = Self.claimable(scope, now: now)
        return try await onJobs("claim", retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(filter, sort: Self.claimOrder, limit: limit)
        }
    }

    /// One `update` claiming the batch's candidates that are still as found, then, when its
    /// count does not tell which those are, one `find` of them; unreadable ones are recorded
    /// `errored`. Returns the claimed jobs, in claim order.
    func claim(_ batch: MongoClaimBatch) async throws(JobStoreError) -> [Job] {
        let (filter, update) = (batch.filter, batch.update)
        let result = try await onJobs(batch.operation) { jobs throws(MongoError) in try jobs.updateMany(filter, update) }
        var claimed = batch.claimed(matched: result.matched)
        if claimed == nil {
            let ours = batch.claimedFilter
            let stored = try await onJobs(batch.operation, retryingReads: true) { jobs throws(MongoError) in
                try jobs.find(ours, projection: ["_id": 1])
            }
            claimed = batch.claimed(among: stored)
        }
        var jobs: [Job] = []
        var unreadable: JobStoreError?
        for document in claimed ?? [] {
            do throws(JobStoreError) {
                jobs.append(try batch.job(document))
            } catch {
                unreadable = unreadable ?? error
                do throws(JobStoreError) {
                    try await recordUnreadable(document, claimedBy: batch.scope.workerId, error: error, at: batch.now)
                } catch {
                    // The other jobs are claimed: they are returned rather than left running unrun.
                    logger.error("could not record an unreadable claimed job errored", metadata: ["error": "\(error)"])
                }
            }
        }
        if jobs.isEmpty, let unreadable { throw unreadable }
        return jobs
    }

    /// ``claim(_:now:)`` as a batch of at most one.
    private func claimOne(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> [Job] {
        guard let job = try await claim(scope, now: now) else { return [] }
        return [job]
    }

    /// The jobs `scope` may claim at `now`: `pending` or `paused`, due, of a name in scope,
    /// runnable (a job or a cron task, never a cron's own document), and not expired (no
    /// `expires_at` after `now`, unless started before).
    static func claimable(_ scope: ClaimScope, now: Date) -> BSONDocument {
        [
            "status": ["$in": JobDocument.claimable],
            "scheduled_for": ["$lte": .date(now)],
            "name": ["$in": strings(scope.names)],
            "type": ["$in": JobDocument.runnableTypes],
            "$or": [["expires_at": .null], ["expires_at": ["$gt": .date(now)]], ["started_at": ["$ne": .null]]],
        ]
    }

    /// The jobs in `scope` a claim at `now` must skip: pending, never started, expired.
    static func expired(_ scope: ClaimScope, now: Date) -> BSONDocument {
        [
            "status": .string(JobStatus.pending.rawValue), "name": ["$in": strings(scope.names)],
            "type": ["$in": JobDocument.runnableTypes], "started_at": .null, "expires_at": ["$lte": .date(now)],
        ]
    }

    /// Ends `skipped` the expired jobs in `scope` (one `update`), which claims pass over: done
    /// when a claim finds nothing to claim, so that it costs a busy worker nothing, and at most
    /// once per ``expirySweepInterval`` of claim time, so that an idle worker's poll stays one
    /// command. Best effort: a failure is logged, and a later idle claim tries again.
    func skipExpired(_ scope: ClaimScope, now: Date) async {
        let at = now.millisecondsSince1970
        let last = lastExpirySweep.load(ordering: .relaxed)
        guard last == .min || at - last >= Self.expirySweepInterval || at < last else { return }
        lastExpirySweep.store(at, ordering: .relaxed)
        let filter = Self.expired(scope, now: now)
        let update: BSONDocument = leavingActive(.skipped, ["$set": [
            "status": .string(JobStatus.skipped.rawValue), "worker_id": .null, "updated_at": .date(now),
            "ended_at": .date(now), "output": .document(JobDocument.encode(JobOutput(skipMetadata: .expiry(at: now)))),
        ]])
        do throws(JobStoreError) {
            _ = try await onJobs("skip expired jobs") { jobs throws(MongoError) in
                try jobs.updateMany(filter, .document(update))
            }
        } catch {
            logger.warning("could not end expired jobs; the next idle claim will", metadata: ["error": "\(error)"])
        }
    }

    /// How often, at most, idle claims end the expired jobs (milliseconds): an expired job may
    /// show `pending` this much longer, never run.
    static let expirySweepInterval: Int64 = 5_000

    /// The order of claims: the highest `priority` first (a document without one has the
    /// default, the lowest: MongoDB sorts a missing field below every number), then the
    /// earliest `scheduled_for`, then the lowest id.
    static let claimOrder: BSONDocument = ["priority": -1, "scheduled_for": 1, "_id": 1]

    /// The order of due times, whatever the priority: what `nextDue` reads.
    static let dueOrder: BSONDocument = ["scheduled_for": 1, "_id": 1]

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

    /// After a `findAndModify` whose reply could not be read: the job that claim took is the one
    /// running on `workerId` updated at `now` (a worker runs one claim at a time), found by its
    /// `_id` alone and recorded `errored`.
    private func recordUnreadableClaim(by workerId: ObjectId, at now: Date, error: JobStoreError) async throws(JobStoreError) {
        let filter: BSONDocument = [
            "status": .string(JobStatus.running.rawValue), "worker_id": .objectId(workerId), "updated_at": .date(now),
        ]
        let claimed = try await onJobs("claim", retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(filter, limit: 1, projection: ["_id": 1])
        }
        guard let document = claimed.first else { throw error }
        try await recordUnreadable(document, claimedBy: workerId, error: error, at: now)
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
