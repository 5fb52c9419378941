import Foundation
import GRDB
import BSON
import Queue

/// The job operations that change a job: insert, claim, finish, kill. Each is one `IMMEDIATE`
/// write transaction, so what it reads is still true when it writes, across processes.
extension SQLiteJobStore {
    /// One `INSERT ... RETURNING`. For an exclusive job whose name is active, the unique index
    /// refuses the row; in the same transaction the active twin is read (the write lock keeps
    /// it active) and the job is inserted `skipped` with the twin's id instead.
    /// - Throws: ``JobStoreError`` with code `invalidJob` when a job with this id is stored.
    public func insert(_ job: Job) async throws(JobStoreError) -> Job {
        let operation = "insert job \(job.id)"
        return try await write(operation) { db in try Self.insert(db, job, operation: operation) }
    }

    /// One transaction for the batch: each job as ``insert(_:)`` inserts it, through the same
    /// prepared statement, so that n jobs cost one lock, one commit and n row inserts. A job
    /// whose id is stored (or given twice) rolls the whole transaction back.
    /// - Throws: ``JobStoreError`` with code `invalidJob` and the job's index; nothing of the
    ///   batch is stored then.
    public func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job] {
        guard !jobs.isEmpty else { return [] }
        if let repeated = JobBatch.repeatedId(in: jobs) { throw repeated }
        let operation = JobBatch.operation(jobs.count)
        return try await write(operation) { db in
            var stored: [Job] = []
            stored.reserveCapacity(jobs.count)
            for (index, job) in jobs.enumerated() {
                do {
                    stored.append(try Self.insert(db, job, operation: operation))
                } catch let error as JobStoreError where error.code == .invalidJob {
                    throw JobStoreError(error.code, operation: operation, reason: error.reason, jobIndex: index)
                }
            }
            return stored
        }
    }

    /// ``insert(_:)`` inside the caller's write transaction (also the task of a cron tick). A
    /// refused row aborts only its own statement, so the transaction goes on.
    static func insert(_ db: Database, _ job: Job, operation: String) throws -> Job {
        do {
            return try insertRow(db, job)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ?", arguments: [job.id.description]) == true {
                throw JobStoreError(.invalidJob, operation: operation, reason: "a job with this id is already stored")
            }
            if let key = job.uniqueKey, JobStatus.active.contains(job.status),
               let holder = try Row.fetchOne(db, sql: uniqueHolderSQL, arguments: [key])
            {
                return try JobRow.decode(holder, operation: operation)
            }
            let twinSQL = """
                SELECT id FROM jobs
                WHERE name = ? AND concurrency_mode = 'exclusive' AND status IN \(SQLiteSchema.active) LIMIT 1
                """
            guard job.concurrency == .exclusive,
                  let twin = try Row.fetchOne(db, sql: twinSQL, arguments: [job.name]),
                  case .string(let twinId) = (twin["id"] as DatabaseValue).storage
            else { throw error }
            var skipped = job
            skipped.status = .skipped
            skipped.endedAt = job.createdAt
            skipped.output = JobOutput(skipMetadata: SkipMetadata(
                reason: SkipMetadata.exclusiveConflict,
                conflictingJobId: ObjectId(twinId), skippedAt: job.createdAt))
            return try insertRow(db, skipped)
        }
    }

    /// The active job holding the unique key given as argument (the write lock keeps it active).
    private static let uniqueHolderSQL = """
        SELECT \(JobRow.selection) FROM jobs WHERE unique_key = ? AND status IN \(SQLiteSchema.active) LIMIT 1
        """

    /// Inserts `job` and returns it as stored: as its MongoDB document keeps it (dates cut to
    /// whole milliseconds, those in the payload and output too), which is what the row holds
    /// (``JobRow`` writes the payload and output as that document's BSON). Computed, not read
    /// back: `RETURNING` costs every insert a temporary table, a row read and a decode.
    private static func insertRow(_ db: Database, _ job: Job) throws -> Job {
        let stored = try JobRow.asStored(job)
        try JobRowInsert.run(db, job)
        return stored
    }

    /// One transaction: ``claimBatch(_:_:at:limit:)`` for one job.
    public func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        try await claim(scope, now: now, limit: 1).first
    }

    /// One transaction: ``claimBatch(_:_:at:limit:)``, one lock and one commit for the batch.
    /// Unreadable rows met on the way are recorded `errored` and logged; the error is thrown
    /// only when nothing could be claimed.
    public func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        guard !scope.names.isEmpty, limit > 0 else { return [] }
        let milliseconds = SQLiteValues.milliseconds(now)
        let batch = try await write("claim") { db in try Self.claimBatch(db, scope, at: milliseconds, limit: limit) }
        return try reported(batch).get()
    }

    /// A claim's outcome once the unreadable rows it met (already recorded `errored`) are
    /// logged: the claimed jobs, or the first such row's error when nothing could be claimed.
    private func reported(_ batch: (claimed: [Job], unreadable: [JobStoreError])) -> Result<[Job], JobStoreError> {
        for error in batch.unreadable {
            logger.error("claimed an unreadable job; recorded it errored", metadata: ["error": "\(error)"])
        }
        if batch.claimed.isEmpty, let error = batch.unreadable.first { return .failure(error) }
        return .success(batch.claimed)
    }

    /// Inside the caller's write transaction: the `limit` due claimable jobs in scope in claim
    /// order, the highest priority first, then the earliest (one indexed read per 200 names,
    /// and one more when a job has a priority: ``SQLiteSchema/claimOrder(_:names:dueBy:limit:)``);
    /// expired ones met on the way ended `skipped` and replaced; for each, one single-row `UPDATE`
    /// by primary key, guarded by its status, that sets it running and keeps `started_at` when
    /// resuming (``claimSQL``); then one read of the claimed rows as stored (``readJobs(_:ids:operation:)``):
    /// the jobs that `limit` consecutive single claims would take, earliest first. A claimed row
    /// that cannot be read is recorded `errored` at once, so that the next claim moves on to the
    /// next job (SPEC §7); it counts against the limit, so that a single claim meeting one
    /// reports it.
    ///
    /// Why an `UPDATE` per job rather than one `UPDATE ... WHERE id IN (...) RETURNING`: SQLite
    /// runs `RETURNING` and a long `IN` list through temporary b-trees, each with its own page
    /// cache allocated and freed at every execution, and copies the pages a multi-row write
    /// changes into a statement journal so as to undo it alone. That memory churn (glibc
    /// handing the freed pages back to the kernel, then faulting them in again) cost more than
    /// the statements per job, which need none of it.
    private static func claimBatch(
        _ db: Database, _ scope: ClaimScope, at milliseconds: Int64, limit: Int
    ) throws -> (claimed: [Job], unreadable: [JobStoreError]) {
        let claim = try db.cachedStatement(sql: claimSQL).sqliteStatement
        let workerId = scope.workerId.description
        var taken: [DatabaseValue] = []
        // Expired jobs are ended `skipped` as they are met; the next candidates then fill the batch.
        while taken.count < limit {
            let candidates = try SQLiteSchema.claimOrder(db, names: scope.names, dueBy: milliseconds, limit: limit - taken.count)
            guard !candidates.isEmpty else { break }
            var expired = 0
            for candidate in candidates {
                var bound = SQLiteBinding.text(claim, 1, workerId)
                bound |= SQLiteBinding.integer(claim, 2, milliseconds)
                bound |= SQLiteBinding.integer(claim, 3, milliseconds)
                bound |= SQLiteBinding.value(claim, 4, candidate)
                bound |= SQLiteBinding.integer(claim, 5, milliseconds)
                try SQLiteBinding.run(db, claim, bound: bound)
                if db.changesCount > 0 {
                    taken.append(candidate)
                } else {
                    try db.cachedStatement(sql: skipExpiredSQL).execute(
                        arguments: [milliseconds, milliseconds, Self.expiredOutput(at: milliseconds), candidate, milliseconds])
                    expired += db.changesCount
                }
            }
            if expired == 0 { break }
        }
        guard !taken.isEmpty else { return ([], []) }
        let jobs = try readJobs(db, ids: taken, operation: "claim")
        var claimed: [Job] = []
        var unreadable: [JobStoreError] = []
        claimed.reserveCapacity(taken.count)
        for id in taken {
            switch jobs[id] {
            case .none:
                continue
            case .success(let job):
                claimed.append(job)
            case .failure(let error):
                try db.execute(
                    sql: """
                        UPDATE jobs SET status = 'errored', worker_id = NULL, updated_at = ?, ended_at = ?, output = ?
                        WHERE id = ?
                        """,
                    arguments: [milliseconds, milliseconds, JobRow.output(JobOutput(error: error.reason)), id])
                unreadable.append(error)
            }
        }
        return (claimed, unreadable)
    }

    /// Claims the job whose id is the last argument for the worker whose id is the first, at the
    /// milliseconds of the second and third, if it is still claimable and runnable: one row,
    /// looked up by primary key (`+` keeps the guards out of index choice), so SQLite needs no
    /// statement journal (a one-row change cannot be half done) and no temporary b-tree.
    /// A job not started before its `expires_at` (the last argument) is not claimed.
    private static let claimSQL = """
        UPDATE jobs SET status = 'running', worker_id = ?, updated_at = ?, started_at = COALESCE(started_at, ?)
        WHERE id = ? AND +status IN \(SQLiteSchema.claimable) AND +type IN \(SQLiteSchema.runnable)
        AND NOT (expires_at IS NOT NULL AND expires_at <= ? AND status = 'pending' AND started_at IS NULL)
        """

    /// Ends `skipped` the job whose id is the fourth argument if it is pending, never started,
    /// and expired by the fifth (milliseconds): its `updated_at`, `ended_at` and `output` are
    /// the first three.
    private static let skipExpiredSQL = """
        UPDATE jobs SET status = 'skipped', worker_id = NULL, updated_at = ?, ended_at = ?, output = ?
        WHERE id = ? AND +status = 'pending' AND started_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
        """

    /// The `output` of a job skipped as expired at `milliseconds`.
    private static func expiredOutput(at milliseconds: Int64) -> Data? {
        JobRow.output(JobOutput(skipMetadata: .expiry(at: SQLiteValues.date(milliseconds))))
    }

    /// Inside the caller's transaction: the jobs stored with `ids` (as stored), by id; a failure
    /// for a row that cannot be read; no entry for an id without a row. One statement: the ids
    /// as a `VALUES` list, each looked up by primary key (SQLite reads such a list as it goes,
    /// with no temporary b-tree, where `id IN (...)` would build one), each row decoded
    /// straight from the statement, without a copy.
    static func readJobs(
        _ db: Database, ids: [DatabaseValue], operation: String
    ) throws -> [DatabaseValue: Result<Job, JobStoreError>] {
        guard !ids.isEmpty else { return [:] }
        let sql = """
            WITH wanted(job_id) AS (VALUES \(repeatElement("(?)", count: ids.count).joined(separator: ", ")))
            SELECT \(JobRow.selection) FROM wanted CROSS JOIN jobs ON jobs.id = wanted.job_id
            """
        var jobs: [DatabaseValue: Result<Job, JobStoreError>] = [:]
        jobs.reserveCapacity(ids.count)
        // The ids as existentials: GRDB's initializer for a sequence of a concrete value type maps
        // it with a key path, which is instantiated at run time at every call (2.7% of an idle
        // worker's CPU, one claim per job).
        let arguments = StatementArguments(ids.map { $0 as (any DatabaseValueConvertible)? })
        try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments).forEach { row in
            do throws(JobStoreError) {
                jobs[row[0]] = .success(try JobRow.decode(row, operation: operation))
            } catch {
                jobs[row[0]] = .failure(error)
            }
        }
        return jobs
    }

    /// One transaction: ``finishOne(_:_:)``.
    public func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        let request = FinishRequest(id, by: workerId, as: status, output: output, at: now, resumeAt: resumeAt)
        // The result leaves the transaction before it is unwrapped: an ending recorded on a row
        // that cannot be read back stays recorded (throwing inside would roll it back).
        return try await write("finish job \(id)") { db in try Self.finishOne(db, request) }.get()
    }

    /// One transaction for every ending: one lock and one commit for the batch
    /// (``finishAll(_:_:)``). A row that cannot be read back fails its own request only; a
    /// failed transaction fails them all.
    public func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        guard !requests.isEmpty else { return [] }
        do throws(JobStoreError) {
            return try await write("finish \(requests.count) jobs") { db in try Self.finishAll(db, requests) }
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    /// One transaction: ``finishAll(_:_:)``, then ``claimBatch(_:_:at:limit:)`` in a savepoint,
    /// so that a failed claim rolls back alone and the endings are still committed.
    public func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>) {
        guard !scope.names.isEmpty, limit > 0 else {
            return (await finish(endings), .success([]))
        }
        let milliseconds = SQLiteValues.milliseconds(now)
        typealias Claim = Result<(claimed: [Job], unreadable: [JobStoreError]), JobStoreError>
        let outcome: (endings: [Result<Job?, JobStoreError>], claim: Claim)
        do throws(JobStoreError) {
            outcome = try await write("finish \(endings.count) jobs and claim") { db in
                let recorded = try Self.finishAll(db, endings)
                let batch: (claimed: [Job], unreadable: [JobStoreError])
                do {
                    batch = try db.inPreparedSavepoint { try Self.claimBatch(db, scope, at: milliseconds, limit: limit) }
                } catch {
                    return (recorded, .failure(JobStoreError(sqlite: error, operation: "claim")))
                }
                return (recorded, .success(batch))
            }
        } catch {
            return (endings.map { _ in .failure(error) }, .failure(error))
        }
        return (outcome.endings, outcome.claim.flatMap(reported))
    }

    /// Inside the caller's write transaction: ``finishOne(_:_:)`` for each request, in order (so
    /// that a second ending of the same job finds it ended). Returns one result per request.
    private static func finishAll(_ db: Database, _ requests: [FinishRequest]) throws -> [Result<Job?, JobStoreError>] {
        try requests.map { request in try Self.finishOne(db, request) }
    }

    /// Inside the caller's write transaction: one single-row `UPDATE` (``finishSQL``) guarded by
    /// `id`, `status = 'running'` and `worker_id`; `ended_at` is set only for a terminal status,
    /// `scheduled_for` only with `resumeAt` (the values are NULL otherwise, and COALESCE keeps
    /// the stored one). When the request carries its claimed job the result is
    /// ``FinishRequest/applied(to:)``, with nothing read back; otherwise the row is read by
    /// primary key. Database errors are thrown (they end the transaction); a row that cannot be
    /// read back is this request's failure. No `RETURNING`, for the reason given at
    /// ``claimBatch(_:_:at:limit:)``.
    private static func finishOne(_ db: Database, _ request: FinishRequest) throws -> Result<Job?, JobStoreError> {
        let milliseconds = SQLiteValues.milliseconds(request.at)
        let finish = try db.cachedStatement(sql: finishSQL).sqliteStatement
        var bound = SQLiteBinding.text(finish, 1, request.status.rawValue)
        bound |= SQLiteBinding.blob(finish, 2, request.output.map { BSONWriter.encode(JobDocument.encode($0)) })
        bound |= SQLiteBinding.integer(finish, 3, milliseconds)
        bound |= SQLiteBinding.integer(finish, 4, request.status.isTerminal ? milliseconds : nil)
        bound |= SQLiteBinding.date(finish, 5, request.resumeAt)
        bound |= SQLiteBinding.text(finish, 6, request.id.description)
        bound |= SQLiteBinding.text(finish, 7, request.workerId.description)
        try SQLiteBinding.run(db, finish, bound: bound)
        guard db.changesCount > 0 else { return .success(nil) }
        if let failure = request.failure {
            try db.cachedStatement(sql: "UPDATE jobs SET attempts = ?, attempt_errors = ? WHERE id = ?").execute(
                arguments: [failure.attempts, JobRow.attemptErrors(failure.errors), request.id.description])
        }
        if let claimed = request.claimed { return .success(request.applied(to: claimed)) }
        let id = request.id.description.databaseValue
        return try readJobs(db, ids: [id], operation: "finish job \(request.id)")[id]?.map(Optional.some) ?? .success(nil)
    }

    /// Records an ending: status, output, `updated_at`, `ended_at` and `scheduled_for` (each
    /// kept when NULL), no worker; for the job with the given id, still running for the given
    /// worker.
    private static let finishSQL = """
        UPDATE jobs SET status = ?, output = ?, updated_at = ?, worker_id = NULL, ended_at = COALESCE(?, ended_at),
        scheduled_for = COALESCE(?, scheduled_for)
        WHERE id = ? AND status = 'running' AND worker_id = ?
        """

    /// One transaction: the job's status is read, then a pending or paused job is set `killed`
    /// (`UPDATE ... RETURNING`), or a `kill` signal is inserted for a running job's worker.
    /// The write lock keeps the status read true until the write.
    public func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome {
        let operation = "kill job \(id)"
        let milliseconds = SQLiteValues.milliseconds(now)
        return try await write(operation) { db -> KillOutcome in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, status, worker_id FROM jobs WHERE id = ?", arguments: [id.description])
            else { return .notFound }
            let columns = SQLiteRowReader(row, kind: "job", operation: operation)
            guard case .string(let text) = try columns.text("status"), let status = JobStatus(rawValue: text) else {
                throw columns.invalid("status", "is missing or not a known status")
            }
            switch status {
            case .pending, .paused:
                let sql = """
                    UPDATE jobs SET status = 'killed', ended_at = ?, updated_at = ?, worker_id = NULL
                    WHERE id = ? AND status IN \(SQLiteSchema.claimable) RETURNING \(JobRow.selection)
                    """
                guard let killed = try Row.fetchOne(db, sql: sql, arguments: [milliseconds, milliseconds, id.description]) else {
                    throw JobStoreError(.database, operation: operation, reason: "the job changed inside its transaction")
                }
                return .killed(try JobRow.decode(killed, operation: operation))
            case .running:
                guard case .objectId(let workerId) = try columns.objectId("worker_id") else { return .alreadyEnded(status) }
                let signal = SignalRecord(kind: .kill, jobId: id, workerId: workerId, createdAt: now)
                try db.execute(sql: SignalRow.insertSQL, arguments: SignalRow.arguments(signal))
                return .signalled(workerId: workerId)
            case .finished, .errored, .killed, .skipped:
                return .alreadyEnded(status)
            }
        }
    }
}
