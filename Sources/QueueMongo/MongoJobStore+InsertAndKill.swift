import Foundation
import BSON
import Queue

/// The two job operations that may take more than one command: an insert that meets an active
/// exclusive twin, and a kill of a job that is not pending.
extension MongoJobStore {
    /// What one insert attempt found, decided on the I/O thread.
    private enum InsertAttempt: Sendable {
        /// The job is stored as given.
        case inserted
        /// The job is stored without its trace context, which the collection's validator refused.
        case insertedWithoutTraceContext
        /// An exclusive twin is active: its `_id` and `status`.
        case conflict(twin: BSONDocument)
        /// An active job holds the unique key: its document.
        case keyHeld(holder: BSONDocument)
        /// A job with this id is already stored.
        case duplicateId
        /// The unique index refused the job, but its twin had ended by the time it was read.
        case twinEnded
    }

    /// One `insertOne` in the common case. For an exclusive job the unique index decides: on a
    /// duplicate key the active twin is read and the job is inserted `skipped` with its id (two
    /// more commands). If the twin ended in between, the insert is tried again.
    public func insert(_ job: Job) async throws(JobStoreError) -> Job {
        let operation = "insert job \(job.id)"
        guard let stored = try await store(job, operation: operation) else {
            throw JobStoreError(.invalidJob, operation: operation, reason: "a job with this id is already stored")
        }
        return stored
    }

    /// ``insert(_:)``, returning nil instead of throwing when a job with this id is stored (a
    /// cron tick's task that an earlier attempt stored).
    /// On the Node version's database, whose validator refuses fields it does not know, the
    /// job's trace context is left out: the run's span loses its link, the job is stored.
    func store(_ given: Job, operation: String) async throws(JobStoreError) -> Job? {
        var kept = given
        if nodeValidatorInstalled { kept.traceContext = nil }
        let job = kept
        let document = JobDocument.encode(job, exclusiveKeyField: usesExclusiveKey)
        let twinFilter = job.concurrency == .exclusive && JobStatus.active.contains(job.status)
            ? exclusiveTwinFilter(job.name) : nil
        let holderFilter: BSONDocument? = job.uniqueKey.flatMap { key in
            guard JobStatus.active.contains(job.status) else { return nil }
            return usesExclusiveKey
                ? [JobDocument.heldUniqueKey: .string(key)]
                : MongoIndexes.uniqueKeyFilter.merging(["unique_key": .string(key)])
        }
        for _ in 0..<Self.attemptsOnRace {
            let attempt = try await onJobs(operation) { jobs throws(MongoError) -> InsertAttempt in
                do throws(MongoError) {
                    try jobs.insertOne(document)
                    return .inserted
                } catch where error.serverCode == Self.documentValidationFailure && document[JobDocument.traceContextField] != nil {
                    // A validator this store did not know of when it was prepared (or before it
                    // was): the link goes, the job stays.
                    var plain = document
                    plain[JobDocument.traceContextField] = nil
                    try jobs.insertOne(plain)
                    return .insertedWithoutTraceContext
                } catch {
                    guard error.code == .duplicateKey else { throw error }
                    if let holderFilter, let holder = try jobs.find(holderFilter, limit: 1).first,
                       holder["_id"] != .objectId(job.id)
                    {
                        return .keyHeld(holder: holder)
                    }
                    if let twinFilter, let twin = try jobs.find(twinFilter, limit: 1, projection: ["status": 1]).first {
                        return twin["_id"] == .objectId(job.id) ? .duplicateId : .conflict(twin: twin)
                    }
                    return try jobs.count(["_id": .objectId(job.id)]) > 0 ? .duplicateId : .twinEnded
                }
            }
            switch attempt {
            case .inserted:
                return try JobDocument.asStored(job)
            case .insertedWithoutTraceContext:
                var plain = job
                plain.traceContext = nil
                return try JobDocument.asStored(plain)
            case .conflict(let twin):
                return try await insertSkipped(job, twin: twin, operation: operation)
            case .keyHeld(let holder):
                return try JobDocument.decode(holder, operation: operation)
            case .duplicateId:
                return nil
            case .twinEnded:
                continue
            }
        }
        throw JobStoreError(.database, operation: operation, reason: "the exclusive name or unique key kept changing hands; gave up")
    }

    /// Stores `job` as `skipped` because of the active `twin` (SPEC §4, "Exclusive"); nil when
    /// a job with its id is stored (the skipped document is in no unique index but `_id`'s):
    /// another attempt at the same cron tick stored it meanwhile.
    private func insertSkipped(_ job: Job, twin: BSONDocument, operation: String) async throws(JobStoreError) -> Job? {
        let fields = StoredDocumentReader(twin, kind: "job", operation: operation)
        var skipped = job
        skipped.status = .skipped
        skipped.endedAt = job.createdAt
        skipped.output = JobOutput(skipMetadata: SkipMetadata(
            reason: SkipMetadata.exclusiveConflict,
            conflictingJobId: try fields.objectId("_id"), skippedAt: job.createdAt))
        let document = JobDocument.encode(skipped, exclusiveKeyField: false)
        let inserted = try await onJobs(operation) { jobs throws(MongoError) -> Bool in
            do throws(MongoError) {
                try jobs.insertOne(document)
                return true
            } catch where error.code == .duplicateKey {
                return false
            }
        }
        return inserted ? try JobDocument.asStored(skipped) : nil
    }

    /// The active job of exclusive name `name`, as the unique index in effect sees it.
    private func exclusiveTwinFilter(_ name: String) -> BSONDocument {
        usesExclusiveKey
            ? [JobDocument.exclusiveKey: .string(name)]
            : MongoIndexes.exclusiveFilter.merging(["name": .string(name)])
    }

    /// The server's code for a write its collection's validator refused (DocumentValidationFailure).
    static let documentValidationFailure: UInt32 = 121

    /// How often an insert (or a kill) is tried when the document it raced with changed
    /// between two commands: the exclusive twin ended, or the job was paused.
    static let attemptsOnRace = 5

    /// One `findAndModify` for a pending or paused job. Otherwise the job is read: a running one
    /// gets a `kill` signal for its worker (one insert), an ended one is left as it is. A job
    /// that became pending or paused meanwhile (a running job paused) is tried again.
    public func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome {
        let operation = "kill job \(id)"
        let update = leavingActive(.killed, ["$set": [
            "status": .string(JobStatus.killed.rawValue), "ended_at": .date(now), "updated_at": .date(now),
            "worker_id": .null,
        ]])
        for _ in 0..<Self.attemptsOnRace {
            let killed = try await onJobs(operation) { jobs throws(MongoError) in
                try jobs.findAndModify(
                    ["_id": .objectId(id), "status": ["$in": JobDocument.claimable]], update: .document(update),
                    returnNew: true)
            }
            if let killed { return .killed(try JobDocument.decode(killed, operation: operation)) }
            guard let job = try await self.job(id: id) else { return .notFound }
            switch job.status {
            case .pending, .paused:
                continue
            case .running:
                guard let workerId = job.workerId else { return .alreadyEnded(job.status) }
                let signal = SignalRecord(kind: .kill, jobId: id, workerId: workerId, createdAt: now)
                try await on(Self.signalsCollection, operation) { signals throws(MongoError) in
                    try signals.insertOne(SignalDocument.encode(signal))
                }
                return .signalled(workerId: workerId)
            case .finished, .errored, .killed, .skipped:
                return .alreadyEnded(job.status)
            }
        }
        throw JobStoreError(.database, operation: operation, reason: "the job kept changing status; gave up")
    }
}
