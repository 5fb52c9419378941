import Foundation
import Logging
import Synchronization
import BSON
import Queue

/// The production ``JobStore``: jobs, workers and signals in MongoDB, in the collections and
/// with the field names of the Node version (SPEC §5), reached through libmongoc.
///
/// Rules, and why:
/// - Every state transition is one command guarded by the expected current status (and owner):
///   claim and finish are each one `findAndModify` (a batch of endings, one `update` command
///   with one guarded statement per ending; a batch of claims, one `update` of the jobs a `find`
///   returned, each guarded by its status and its `updated_at` as found), so two processes can
///   never both make one.
/// - Exclusivity is decided by a unique index, never by a read-then-write (see
///   ``ExclusivityEnforcement``); ``prepare()`` creates the indexes and must run first.
/// - Calls run on the ``MongoDatabase``'s I/O threads; callers suspend, never block.
/// - Idempotent reads are retried once on a network or not-primary error; writes are not.
/// - Errors are ``JobStoreError``s: `unavailable` for network and not-primary failures,
///   `invalidDocument` for a stored document this version cannot read (naming its id and
///   field), `database` otherwise, with libmongoc's description as the reason.
public final class MongoJobStore: JobStore, NodeVersionSharing {
    /// The collection of jobs, crons and cron tasks.
    package static let jobsCollection = "job_processor.jobs"
    /// The collection of worker documents.
    package static let workersCollection = "job_processor.workers"
    /// The collection of signals.
    package static let signalsCollection = "job_processor.signals"

    let database: MongoDatabase
    let logger: Logger
    /// The enforcement in effect: the one asked for, until ``prepare()`` finds that the server
    /// refuses partial indexes. Read by every write that changes a job's status.
    let enforcement: Mutex<ExclusivityEnforcement>
    /// Whether the lack of change streams has been logged (once per store).
    let changeStreamsRefusalLogged = Atomic(false)
    /// Whether this store's latest claim found a job: the sign of a backlog that makes a claim of
    /// several jobs worth its two commands (a `find`, then an `update`; see
    /// ``claim(_:now:limit:)``). Without it a claim is one `findAndModify`, the cheapest when a
    /// worker polls an empty queue (one command either way) or takes jobs as they trickle in (a
    /// `find` of one due job would be followed by a `findAndModify` for it: two commands for one
    /// job). It only picks the commands, never which jobs are claimed, so one flag for every
    /// worker on the store will do. An `Atomic`: a lone flag, read and written whole.
    let previousClaimFoundJob = Atomic(false)
    /// When, in the milliseconds of a claim's `now`, this store last ended the expired jobs
    /// (``skipExpired(_:now:)``): at most once per ``expirySweepInterval``, so that a worker
    /// polling an empty queue sends one command per poll, not two.
    let lastExpirySweep = Atomic<Int64>(.min)
    /// Whether ``prepare()`` found the Node version's `$jsonSchema` validator on the jobs
    /// collection: every document written must then pass it (no field the Node version lacks).
    let nodeValidator = Atomic(false)

    /// Whether the Node version's validator is installed on `job_processor.jobs` (known after
    /// ``prepare()``): the database is shared with, or handed back to, the Node version.
    public var nodeValidatorInstalled: Bool { nodeValidator.load(ordering: .relaxed) }

    /// A store over `database`. Does no I/O: call ``prepare()`` before the first operation.
    /// - Parameters:
    ///   - logger: where the store reports what it decides (the exclusivity fallback).
    ///   - exclusivity: how exclusive names are enforced; the default prefers the partial
    ///     unique index and falls back by itself when the server refuses it.
    ///   - retention: how long ended jobs are kept (a TTL index on `ended_at`; SPEC §4
    ///     "Retention"). Changing it needs the index dropped first: the server keeps the first.
    ///   - workerExpiry: how long after its last heartbeat the server deletes a worker document
    ///     (the TTL of the Node version's `lastSeen_1` index, 5 minutes); an index already on
    ///     `lastSeen` keeps its own.
    public init(
        database: MongoDatabase, logger: Logger, exclusivity: ExclusivityEnforcement = .partialIndex,
        retention: Duration = .seconds(90 * 24 * 3600), workerExpiry: Duration = .seconds(300)
    ) {
        self.database = database
        self.logger = logger
        enforcement = Mutex(exclusivity)
        retentionSeconds = Int(retention.components.seconds)
        workerExpirySeconds = Int(workerExpiry.components.seconds)
    }

    /// How long worker documents outlive their last heartbeat, in seconds.
    let workerExpirySeconds: Int

    /// How long ended jobs are kept, in seconds.
    let retentionSeconds: Int

    /// How exclusive names are enforced now: after ``prepare()``, what the server accepted.
    public var exclusivity: ExclusivityEnforcement { enforcement.withLock { $0 } }

    /// Whether writes maintain the `exclusive_key` field (the fallback enforcement).
    var usesExclusiveKey: Bool { exclusivity == .exclusiveKeyField }

    // MARK: Reads

    /// One `find` by `_id`.
    public func job(id: ObjectId) async throws(JobStoreError) -> Job? {
        let operation = "read job \(id)"
        let document = try await onJobs(operation, retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(["_id": .objectId(id)], limit: 1).first
        }
        guard let document else { return nil }
        return try JobDocument.decode(document, operation: operation)
    }

    /// One `find` with the query's filters, sort and limit.
    public func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] {
        guard query.limit > 0 else { return [] }  // MongoDB reads a limit of 0 as "no limit"
        var filter = BSONDocument()
        if let names = query.names { filter["name"] = ["$in": .array(names.map { .string($0) })] }
        if let statuses = query.statuses { filter["status"] = ["$in": .array(statuses.map { .string($0.rawValue) })] }
        if let types = query.types { filter["type"] = ["$in": .array(types.map { .string($0.rawValue) })] }
        if let workerId = query.workerId { filter["worker_id"] = .objectId(workerId) }
        var created = BSONDocument()
        if let since = query.createdSince { created["$gte"] = .date(since) }
        if let before = query.createdBefore { created["$lt"] = .date(before) }
        if !created.isEmpty { filter["created_at"] = .document(created) }
        if let after = query.after {
            // Keyset: (date, _id) past the cursor's, in the query's order.
            let (field, past) = query.newestFirst ? ("created_at", "$lt") : ("scheduled_for", "$gt")
            filter["$or"] = [
                [field: [past: .date(after.date)]],
                [field: .date(after.date), "_id": [past: .objectId(after.id)]],
            ]
        }
        let sort: BSONDocument = query.newestFirst ? ["created_at": -1, "_id": -1] : ["scheduled_for": 1, "_id": 1]
        let documents = try await onJobs("find jobs", retryingReads: true) { [filter] jobs throws(MongoError) in
            try jobs.find(filter, sort: sort, limit: query.limit)
        }
        var result: [Job] = []
        result.reserveCapacity(documents.count)
        for document in documents { result.append(try JobDocument.decode(document, operation: "find jobs")) }
        return result
    }

    /// One `count` per status, each cut at `limit` (`countDocuments` with a limit, over the
    /// indexes that start with `status`), on one I/O thread. Crons' own documents have the status
    /// `active`, which no count asks for.
    public func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] {
        guard limit > 0 else { return [:] }
        return try await onJobs("count jobs by status", retryingReads: true) { jobs throws(MongoError) in
            var counts: [JobStatus: Int] = [:]
            for status in JobStatus.allCases {
                let count = try jobs.count(["status": .string(status.rawValue)], limit: limit)
                if count > 0 { counts[status] = count }
            }
            return counts
        }
    }

    /// One `find` of the `limit` latest endings since `since` over the `ended_at` index,
    /// projected on `ended_at` and `status`, counted here.
    public func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        guard limit > 0 else { return [] }
        let filter: BSONDocument = ["ended_at": ["$gte": .date(since)], "type": ["$in": JobDocument.runnableTypes]]
        let documents = try await onJobs("count endings per minute", retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(filter, sort: ["ended_at": -1], limit: limit, projection: ["ended_at": 1, "status": 1])
        }
        return EndingsInMinute.count(documents.compactMap { document in
            guard let endedAt = document["ended_at"]?.dateValue,
                  let status = document["status"]?.stringValue.flatMap(JobStatus.init(rawValue:))
            else { return nil }
            return (endedAt: endedAt, status: status)
        })
    }

    /// One `find` of the earliest claimable job in scope, projected on `scheduled_for`.
    public func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? {
        guard !scope.names.isEmpty else { return nil }
        let filter: BSONDocument = [
            "status": ["$in": JobDocument.claimable], "name": ["$in": Self.strings(scope.names)],
            "type": ["$in": JobDocument.runnableTypes],
        ]
        let document = try await onJobs("next due job", retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(filter, sort: Self.dueOrder, limit: 1, projection: ["scheduled_for": 1]).first
        }
        guard let document else { return nil }
        return try StoredDocumentReader(document, kind: "job", operation: "next due job").date("scheduled_for")
    }

    // MARK: Helpers

    /// Runs `body` on an I/O thread with the jobs collection, mapping failures.
    @discardableResult
    func onJobs<Result: Sendable>(
        _ operation: String, retryingReads: Bool = false,
        _ body: @escaping @Sendable (MongoCollection) throws(MongoError) -> Result
    ) async throws(JobStoreError) -> Result {
        try await on(Self.jobsCollection, operation, retryingReads: retryingReads, body)
    }

    /// Runs `body` on an I/O thread with `collection`, mapping failures to ``JobStoreError``.
    @discardableResult
    func on<Result: Sendable>(
        _ collection: String, _ operation: String, retryingReads: Bool = false,
        _ body: @escaping @Sendable (MongoCollection) throws(MongoError) -> Result
    ) async throws(JobStoreError) -> Result {
        let name = database.name
        do throws(MongoError) {
            return try await database.run(operation, retryingReads: retryingReads) { client throws(MongoError) in
                try body(client.collection(collection, in: name))
            }
        } catch {
            throw JobStoreError(error, operation: operation)
        }
    }

    static func strings(_ values: [String]) -> BSON { .array(values.map { .string($0) }) }
}

extension JobStoreError {
    /// The store's view of a MongoDB failure: `unavailable` when retrying later may succeed
    /// (network, not primary), `invalidDocument` for an unreadable reply, `database` otherwise.
    init(_ error: MongoError, operation: String) {
        let code: Code = error.isTransient ? .unavailable : error.code == .invalidDocument ? .invalidDocument : .database
        self.init(code, operation: operation, reason: error.description)
    }
}

extension MongoJobStore {
    /// A change stream reporting new jobs in `scope`; nil on servers without change streams
    /// (standalone servers, the emulator), said once in the log.
    public func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)? {
        guard !scope.names.isEmpty else { return nil }
        switch await MongoJobWatch.open(database, scope: scope, logger: logger, onNewJob: onNewJob) {
        case .success(let watch):
            logger.info("watching new jobs through a change stream")
            return watch
        case .failure(let error):
            if changeStreamsRefusalLogged.exchange(true, ordering: .relaxed) == false {
                logger.notice("the server has no change streams: other processes' jobs are found by polling",
                              metadata: ["reason": "\(error.message)"])
            }
            return nil
        }
    }
}
