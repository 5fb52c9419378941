import Foundation
import GRDB
import Logging
import BSON
import Queue

/// The embedded ``JobStore``: jobs (crons included), workers and signals in one SQLite file, through GRDB. The
/// default for a single host, demos and tests (SPEC §3); several worker processes on the host
/// may share the file.
///
/// Rules, and why:
/// - The file is in WAL mode (a GRDB `DatabasePool`): readers never wait for the writer, and
///   other processes can use the file at the same time.
/// - Every state transition is one write transaction, begun `IMMEDIATE` (through statements
///   prepared once, ``GRDB/Database/inImmediateTransaction(_:)``), which takes SQLite's write
///   lock for the file before reading: a read-then-write inside it is atomic across processes,
///   and each write is guarded by the expected status (and owner) as well, so a job is never
///   claimed, finished or killed twice.
/// - Exclusivity is a partial unique index (`jobs_exclusive_active_name`): SQLite decides,
///   not a read-then-write.
/// - Commits survive a crash of the process (``Durability/processCrash``, SQLite's
///   `synchronous=NORMAL` in WAL mode, the default), or also a power cut or kernel crash
///   (``Durability/powerLoss``, `FULL`: one fsync per transaction, several times slower).
/// - A process that finds the file locked waits up to ``busyTimeout`` for the lock, in short
///   sleeps first (``SQLiteBusyWait``); past it the call fails with `unavailable`.
/// - Calls run on GRDB's own dispatch queues; callers suspend, never block the event loop or
///   the cooperative pool. A call, once started, completes even if the calling task is
///   cancelled, so that a transition that was made is never reported as failed.
/// - Errors are ``JobStoreError``s: `unavailable` when the file is busy, locked or cannot be
///   opened, `invalidDocument` for a row this version cannot read (naming its id and column),
///   `database` otherwise, with SQLite's code and message (never the statement's arguments, so
///   never payloads) as the reason.
public final class SQLiteJobStore: JobStore {
    /// How long a call waits for another connection's write lock before failing with
    /// `unavailable`.
    public static let busyTimeout: TimeInterval = 5

    /// How many pages the WAL holds before the connection that commits copies them back into
    /// the database file itself (as SQLite's `wal_autocheckpoint` does): SQLite's default,
    /// 1,000. From half of it, ``SQLiteCheckpointer`` copies them on a connection of its own,
    /// so that under a light load no commit waits for a checkpoint; the commit's own one is
    /// the bound when commits never pause. A commit that checkpoints waits for the copy, so the
    /// size bounds the stall: a larger log gives more jobs/s but stalls long enough to make cron
    /// ticks late (perf/README.md and the history of this line have the figures).
    static let walCheckpointPages = 1_000

    /// What a committed transaction (a scheduled job, a claim, an ending) survives.
    public enum Durability: Sendable, Hashable {
        /// A crash or SIGKILL of any process using the file: what worker crash recovery is
        /// about. A power cut or kernel crash may lose the last transactions before it (the
        /// file stays consistent). SQLite's `synchronous=NORMAL` in WAL mode, as Rails and
        /// most servers embedding SQLite run it.
        case processCrash
        /// Also a power cut or kernel crash: an fsync at every commit (`synchronous=FULL`).
        case powerLoss
    }

    /// The database file.
    public let path: String
    let pool: DatabasePool
    let logger: Logger
    /// Copies the log back into the file in the background (see ``SQLiteCheckpointer``).
    let checkpointer: SQLiteCheckpointer

    /// Opens (creating it if needed) the SQLite database at `path`, in WAL mode. Creates no
    /// table: call ``prepare()`` before the first operation.
    /// - Parameters:
    ///   - logger: where the store reports what it decides (an unreadable job it records
    ///     errored).
    ///   - durability: what a commit survives (see ``Durability``); every connection of this
    ///     store uses it.
    /// - Throws: ``JobStoreError`` with code `unavailable` naming `path` and SQLite's reason
    ///   when the file cannot be opened (a missing directory, no permission, not a database).
    public init(path: String, logger: Logger, durability: Durability = .processCrash) throws(JobStoreError) {
        var configuration = Configuration()
        configuration.busyMode = .callback(SQLiteBusyWait.retry(afterTries:))
        configuration.label = "job-processor"
        let synchronous = durability == .powerLoss ? "FULL" : "NORMAL"
        let checkpointer = SQLiteCheckpointer(path: path, synchronous: synchronous, logger: logger)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            checkpointer.installHook(on: db)
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            let reason = (error as? DatabaseError).map { "\($0.message ?? "SQLite error \($0.resultCode.rawValue)")" }
            throw JobStoreError(.unavailable, operation: "open SQLite database at \(path)", reason: reason ?? "\(error)")
        }
        self.path = path
        self.logger = logger
        self.checkpointer = checkpointer
    }

    /// Creates the tables and indexes (``SQLiteSchema``), or brings an older file up to date.
    /// Idempotent. When another process migrates the same file at the same moment, one of the
    /// two finds a migration already recorded and tries again from there.
    public func prepare() async throws(JobStoreError) {
        let pool = pool
        // GRDB reads which migrations are applied before it takes the write lock for each one,
        // so processes preparing one new file in step can conflict once per migration; each
        // conflict means another process applied one. Hence a retry per migration, and more for
        // several processes at once.
        let migrator = SQLiteSchema.migrator
        let attempts = 4 * migrator.migrations.count
        for attempt in 1...attempts {
            do {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    migrator.asyncMigrate(pool) { result in continuation.resume(with: result.map { _ in }) }
                }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT && attempt < attempts {
                continue  // another process recorded the same migration first
            } catch {
                throw JobStoreError(sqlite: error, operation: "prepare SQLite database at \(path)")
            }
        }
    }

    // MARK: Reads

    /// One indexed read by id.
    public func job(id: ObjectId) async throws(JobStoreError) -> Job? {
        let operation = "read job \(id)"
        return try await read(operation) { db in
            try Row.fetchOne(db, sql: "SELECT \(JobRow.selection) FROM jobs WHERE id = ?", arguments: [id.description])
                .map { row throws(JobStoreError) in try JobRow.decode(row, operation: operation) }
        }
    }

    /// One read with the query's filters, order and limit.
    public func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] {
        guard query.limit > 0 else { return [] }
        var conditions: [String] = []
        var arguments = StatementArguments()
        func isIn(_ column: String, _ values: [String]?) {
            guard let values else { return }
            conditions.append("\(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(values)
        }
        isIn("name", query.names)
        isIn("status", query.statuses?.map(\.rawValue))
        isIn("type", query.types?.map(\.rawValue))
        isIn("worker_id", query.workerId.map { [$0.description] })
        if let since = query.createdSince {
            conditions.append("created_at >= ?")
            arguments += [SQLiteValues.milliseconds(since)]
        }
        if let before = query.createdBefore {
            conditions.append("created_at < ?")
            arguments += [SQLiteValues.milliseconds(before)]
        }
        if let after = query.after {
            // A row value: SQLite reads it as one range of the (…, created_at, id) indexes.
            conditions.append(query.newestFirst ? "(created_at, id) < (?, ?)" : "(scheduled_for, id) > (?, ?)")
            arguments += [SQLiteValues.milliseconds(after.date), after.id.description]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order = query.newestFirst ? "created_at DESC, id DESC" : "scheduled_for, id"
        arguments += [query.limit]
        let sql = "SELECT \(JobRow.selection) FROM jobs \(filter) ORDER BY \(order) LIMIT ?"
        return try await read("find jobs") { [arguments] db in
            var jobs: [Job] = []
            for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                jobs.append(try JobRow.decode(row, operation: "find jobs"))
            }
            return jobs
        }
    }

    /// One read: per status, a count of the `jobs_status_created_at` range cut at `limit`; cron
    /// rows (status `pending`) found through `jobs_cron_name` and taken off the pending count.
    public func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] {
        let limit = max(0, limit)
        return try await read("count jobs by status") { db in
            var counts: [JobStatus: Int] = [:]
            let crons = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM jobs INDEXED BY jobs_cron_name WHERE type = 'cron' AND status = 'pending'") ?? 0
            for status in JobStatus.allCases {
                let bound = status == .pending ? limit + crons : limit
                let count = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE status = ? LIMIT ?)"),
                    arguments: [status.rawValue, bound]) ?? 0
                let jobs = status == .pending ? max(0, count - crons) : count
                if jobs > 0 { counts[status] = min(jobs, limit) }
            }
            return counts
        }
    }

    /// One read, counting ranges of `jobs_ended_at` (status, ended_at), which SQLite counts
    /// without reading rows: from the latest minute that holds an ending back to `since`'s, each
    /// status's count of the minute (cut at what is left of `limit`); a minute with none jumps
    /// to the next earlier one that has some (one index seek per status), so that a sparse or
    /// distant `since` costs no more than the minutes that hold endings.
    public func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        let since = SQLiteValues.milliseconds(since)
        return try await read("count endings per minute") { db in
            let statuses = Self.endedStatuses
            let latest = try db.cachedStatement(sql: "SELECT MAX(ended_at) FROM jobs WHERE status = ? AND ended_at >= ? AND ended_at < ?")
            let count = try db.cachedStatement(sql: """
                SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE status = ? AND ended_at >= ? AND ended_at < ? LIMIT ?)
                """)
            /// The minute (start, in milliseconds) of the latest ending before `bound`, nil when none.
            func latestMinute(before bound: Int64) throws -> Int64? {
                let found = try statuses.compactMap { status in
                    try Int64.fetchOne(latest, arguments: [status.rawValue, since, bound])
                }.max()
                return found.map { $0 >= 0 ? $0 / 60_000 * 60_000 : ($0 - 59_999) / 60_000 * 60_000 }
            }
            var result: [EndingsInMinute] = []
            var remaining = max(0, limit)
            var minute = try latestMinute(before: .max)
            while let start = minute, remaining > 0 {
                for status in statuses where remaining > 0 {
                    let counted = try Int.fetchOne(count, arguments: [status.rawValue, max(start, since), start + 60_000, remaining]) ?? 0
                    if counted > 0 {
                        result.append(EndingsInMinute(minute: SQLiteValues.date(start), status: status, count: counted))
                        remaining -= counted
                    }
                }
                minute = start > since ? try latestMinute(before: start) : nil
            }
            return result
        }.sorted { ($0.minute, $0.status.rawValue) < ($1.minute, $1.status.rawValue) }
    }

    /// The statuses a job has when `ended_at` is set.
    static let endedStatuses = JobStatus.allCases.filter(\.isTerminal)

    /// One read per 200 names in scope, each O(log n) per name (``SQLiteSchema``).
    public func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? {
        guard !scope.names.isEmpty else { return nil }
        return try await read("next due job") { db in try Self.earliestDue(db, names: scope.names, operation: "next due job") }
    }

    /// Inside the caller's read: the `scheduled_for` of the earliest claimable job among `names`.
    static func earliestDue(_ db: Database, names: [String], operation: String) throws -> Date? {
        guard let earliest = try SQLiteSchema.earliestClaimable(db, names: names, dueBy: nil) else { return nil }
        guard case .int64(let milliseconds) = earliest.scheduledFor.storage else {
            throw SQLiteRowReader.invalid(
                "scheduled_for", "should be integer milliseconds", id: earliest.id, kind: "job", operation: operation)
        }
        return SQLiteValues.date(milliseconds)
    }

    /// Watches the file for other processes' writes (``SQLiteJobWatch``) and reports the
    /// earliest claimable job in `scope` after each, so that a job scheduled by another process
    /// on this host starts within about a millisecond rather than at the next poll. Nil (with a
    /// warning) where inotify cannot watch the file's directory: polling alone then finds jobs.
    public func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)? {
        guard !scope.names.isEmpty else { return nil }
        switch await SQLiteJobWatch.open(path: path, pool: pool, scope: scope, logger: logger, onNewJob: onNewJob) {
        case .success(let watch):
            return watch
        case .failure(let error):
            logger.warning("cannot watch the database file: other processes' jobs are found by polling",
                           metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: Running calls

    /// Runs `body` in a read transaction (a snapshot of the file), mapping failures.
    func read<Value: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> Value
    ) async throws(JobStoreError) -> Value {
        let pool = pool
        return try await run(operation) { complete in
            pool.asyncRead { database in complete(Result { try body(database.get()) }) }
        }
    }

    /// Runs `body` in an `IMMEDIATE` write transaction, mapping failures. The transaction
    /// commits when `body` returns and rolls back when it throws.
    func write<Value: Sendable>(
        _ operation: String, _ body: @escaping @Sendable (Database) throws -> Value
    ) async throws(JobStoreError) -> Value {
        let pool = pool
        return try await run(operation) { complete in
            pool.asyncWriteWithoutTransaction { db in complete(Result { try db.inImmediateTransaction { try body(db) } }) }
        }
    }

    /// Starts a call on GRDB's dispatch queues through its callback API and suspends until it
    /// completes. The callback API never looks at the calling task, so the caller's
    /// cancellation neither interrupts a statement nor hides the outcome of a committed
    /// transaction (GRDB's async calls interrupt on cancellation), and no task is created per
    /// call.
    private func run<Value: Sendable>(
        _ operation: String,
        _ start: (_ complete: @escaping @Sendable (Result<Value, any Error>) -> Void) -> Void
    ) async throws(JobStoreError) -> Value {
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, any Error>, Never>) in
            start { result in continuation.resume(returning: result) }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw JobStoreError(sqlite: error, operation: operation)
        }
    }
}

extension JobStoreError {
    /// The store's view of a failure inside an SQLite call: a ``JobStoreError`` thrown by the
    /// store's own code as it is; `unavailable` when the file is busy, locked or cannot be
    /// opened (trying later may succeed); `database` otherwise. The reason is SQLite's code and
    /// message, without the statement's arguments.
    init(sqlite error: any Error, operation: String) {
        switch error {
        case let error as JobStoreError:
            self = error
        case let error as DatabaseError:
            let transient = [ResultCode.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN].contains(error.resultCode)
            self.init(
                transient ? .unavailable : .database, operation: operation,
                reason: "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "no message")")
        default:
            self.init(.database, operation: operation, reason: "\(error)")
        }
    }
}
