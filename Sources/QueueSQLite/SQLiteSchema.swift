import GRDB
import BSON
import Queue

/// The tables and indexes of ``SQLiteJobStore``, and the SQL of its hot queries.
///
/// Tables `jobs`, `workers` and `signals` mirror the MongoDB collections (SPEC §5): the same
/// field names in snake_case, ids as the ObjectId's 24 lowercase hex digits (whose text order is
/// the ObjectId order), dates as INTEGER milliseconds since 1970 (BSON's precision, so that a
/// job reads back equal to what was stored), `payload` and `output` as BLOBs of BSON bytes
/// (lossless: BSON types such as dates, ObjectIds and int64 survive). `output` holds the same
/// subdocument as in MongoDB (`duration`, `result`, `error`, `skip_metadata`).
///
/// Rules, and why:
/// - No CHECK constraints: like a MongoDB collection, the file may hold rows written by hand or
///   by another version; readers report such a row as `invalidDocument`, they never trap.
/// - Every statement of a migration is `IF NOT EXISTS`: two processes that prepare the same new
///   file at once both run the migration; the second's statements then change nothing and
///   ``SQLiteJobStore/prepare()`` retries after its bookkeeping conflict.
enum SQLiteSchema {
    /// The statuses a job can be claimed in, as an SQL list.
    static let claimable = "('pending', 'paused')"
    /// The types of row a worker runs, as an SQL list: jobs and cron tasks, never a cron's own
    /// row (`type = 'cron'`, which holds its expression and next due time).
    static let runnable = "('\(JobType.simple.rawValue)', '\(JobType.cronTask.rawValue)')"
    /// The statuses during which an exclusive name admits no second job, as an SQL list.
    static let active = "(" + JobStatus.active.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// The versioned schema. A later change is a new migration appended here, never an edit.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: jobs, workers, signals") { db in
            for statement in version1 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v2: crons") { db in
            for statement in version2 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v3: running jobs by worker") { db in
            for statement in version3 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v4: no worker index") { db in
            for statement in version4 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v5: trace context, endings by time") { db in
            // ALTER TABLE has no IF NOT EXISTS: the column is added unless a process that
            // migrated the file at the same moment added it first (this runs in the write
            // transaction, after that process committed).
            if try !db.columns(in: "jobs").contains(where: { $0.name == "trace_context" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN trace_context BLOB")
            }
            for statement in version5 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v6: priorities") { db in
            // `ADD COLUMN` has no `IF NOT EXISTS`: a process that prepares the file at the
            // same time may have added it already.
            if try !db.columns(in: "jobs").contains(where: { $0.name == "priority" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")
            }
            for statement in version6 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v7: expiry") { db in
            if try !db.columns(in: "jobs").contains(where: { $0.name == "expires_at" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN expires_at INTEGER")
            }
        }
        migrator.registerMigration("v8: unique keys") { db in
            if try !db.columns(in: "jobs").contains(where: { $0.name == "unique_key" }) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN unique_key TEXT")
            }
            for statement in version8 { try db.execute(sql: statement) }
        }
        migrator.registerMigration("v9: attempts") { db in
            let existing = Set(try db.columns(in: "jobs").map(\.name))
            for (column, type) in [("attempts", "INTEGER NOT NULL DEFAULT 0"), ("max_attempts", "INTEGER"), ("attempt_errors", "BLOB")]
            where !existing.contains(column) {
                try db.execute(sql: "ALTER TABLE jobs ADD COLUMN \(column) \(type)")
            }
        }
        return migrator
    }

    /// The statements of the first version.
    static let version1: [String] = [
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            payload BLOB,
            output BLOB,
            scheduled_for INTEGER NOT NULL,
            started_at INTEGER,
            ended_at INTEGER,
            updated_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            worker_id TEXT,
            sync INTEGER NOT NULL DEFAULT 0,
            cron_string TEXT,
            concurrency_mode TEXT NOT NULL DEFAULT 'concurrent'
        )
        """,
        // Claim and nextDue: one ordered range per name, over claimable jobs only, so that the
        // index stays as small as the backlog however much history the table keeps.
        "CREATE INDEX IF NOT EXISTS jobs_claimable ON jobs (name, scheduled_for, id) WHERE status IN \(claimable)",
        // Exclusivity (SPEC §4): at most one active exclusive job per name, decided by SQLite.
        """
        CREATE UNIQUE INDEX IF NOT EXISTS jobs_exclusive_active_name ON jobs (name)
        WHERE concurrency_mode = 'exclusive' AND status IN \(active)
        """,
        // Status views and `jobs(matching:)`: by status, by name, or all, newest first.
        "CREATE INDEX IF NOT EXISTS jobs_status_created_at ON jobs (status, created_at, id)",
        "CREATE INDEX IF NOT EXISTS jobs_name_created_at ON jobs (name, created_at, id)",
        "CREATE INDEX IF NOT EXISTS jobs_created_at ON jobs (created_at, id)",
        // What a worker runs: the dead-worker takeover and the status view. Replaced in v3.
        "CREATE INDEX IF NOT EXISTS jobs_worker_id ON jobs (worker_id, status)",
        """
        CREATE TABLE IF NOT EXISTS workers (
            id TEXT PRIMARY KEY NOT NULL,
            hostname TEXT NOT NULL,
            tags TEXT,
            last_seen INTEGER NOT NULL
        )
        """,
        // The dead-worker scan: workers not seen since a time.
        "CREATE INDEX IF NOT EXISTS workers_last_seen ON workers (last_seen)",
        """
        CREATE TABLE IF NOT EXISTS signals (
            id TEXT PRIMARY KEY NOT NULL,
            type TEXT NOT NULL,
            job_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            ack INTEGER NOT NULL DEFAULT 0
        )
        """,
        // A worker's unacknowledged signals, oldest first.
        "CREATE INDEX IF NOT EXISTS signals_worker_id ON signals (worker_id, ack, created_at, id)",
    ]

    /// The statements of the second version: crons, whose own rows (`type = 'cron'`) live in
    /// `jobs` beside their tasks.
    static let version2: [String] = [
        // One cron row per name, even when replicas declare their crons at the same instant.
        "CREATE UNIQUE INDEX IF NOT EXISTS jobs_cron_name ON jobs (name) WHERE type = '\(JobType.cron.rawValue)'",
        // Claim and nextDue again, now over runnable rows only: a cron's row is `pending` but is
        // never claimed, and leaving it out keeps it from being scanned at the head of its name's
        // range on every claim. Replaces v1's `jobs_claimable`.
        "DROP INDEX IF EXISTS jobs_claimable",
        """
        CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (name, scheduled_for, id)
        WHERE status IN \(claimable) AND type IN \(runnable)
        """,
    ]

    /// The statements of the third version: the worker index holds running jobs only.
    static let version3: [String] = [
        // What a worker runs, for the dead-worker takeover and the status view: those queries
        // ask for `worker_id = ?`, which SQLite knows implies `worker_id IS NOT NULL`. Only jobs
        // being run have a worker, so a claim inserts one entry and an ending deletes it, where
        // v1's `jobs_worker_id` also moved every ended job's entry (NULL worker) by status, and
        // kept one per job ever stored. Replaces `jobs_worker_id`.
        "DROP INDEX IF EXISTS jobs_worker_id",
        "CREATE INDEX IF NOT EXISTS jobs_worker_running ON jobs (worker_id, status) WHERE worker_id IS NOT NULL",
    ]

    /// The statements of the fourth version: no index by worker.
    static let version4: [String] = [
        // The queries by worker (the dead-worker takeover, the status view) ask for running jobs,
        // and `jobs_status_created_at` finds those: the running jobs of the whole fleet (a few
        // per worker), each checked for its worker. `jobs_worker_running` cost every job an
        // insertion at its claim and a removal at its ending, more than the queries it served
        // saved. A query by worker alone, which no caller of the store makes, now reads the
        // table. Replaces v3's `jobs_worker_running`.
        "DROP INDEX IF EXISTS jobs_worker_running",
    ]

    /// The statements of the fifth version (after its `trace_context` column, a BLOB of the
    /// BSON document of a job's ``Job/traceContext``, NULL without one).
    static let version5: [String] = [
        // The dashboard's chart of endings per minute: per status, each minute is a range of
        // this index that SQLite counts without reading a row (a tenth of the cost of reading
        // `ended_at` and `status` from an index on (ended_at, status) and grouping them). Jobs
        // that have not ended are left out, so the index holds one entry per ended job.
        "CREATE INDEX IF NOT EXISTS jobs_ended_at ON jobs (status, ended_at) WHERE ended_at IS NOT NULL",
    ]

    /// The statements of the sixth version (after its `priority` column is added): claims by
    /// priority.
    static let version6: [String] = [
        // Claims take the highest priority first (SPEC: job options). Only jobs above the
        // default priority are in it, so that a job of the default priority costs no more to
        // store, claim and end than before, and a claim pays one probe of an empty index when no
        // job has a priority. `jobs_runnable` still orders everything else, and serves `nextDue`.
        """
        CREATE INDEX IF NOT EXISTS jobs_prioritized ON jobs (name, priority DESC, scheduled_for, id)
        WHERE status IN \(claimable) AND type IN \(runnable) AND priority > 0
        """,
    ]

    /// The statements of the eighth version (after its `unique_key` column is added).
    static let version8: [String] = [
        // Unique keys: at most one active job per key, decided by SQLite. Jobs without a key
        // (NULL) are not in it, so they cost nothing more to store and end.
        """
        CREATE UNIQUE INDEX IF NOT EXISTS jobs_unique_key_active ON jobs (unique_key)
        WHERE unique_key IS NOT NULL AND status IN \(active)
        """,
    ]

    // MARK: Earliest claimable jobs

    /// Whether any claimable job has a priority above the default: one probe of
    /// `jobs_prioritized`, which holds only those.
    static let anyPrioritized = """
        SELECT 1 FROM jobs INDEXED BY jobs_prioritized
        WHERE status IN \(claimable) AND type IN \(runnable) AND priority > 0 LIMIT 1
        """

    /// The due claimable jobs above the default priority (`id`, `priority`, `scheduled_for`)
    /// among `names` (at most ``namesPerQuery``), highest priority first, then earliest: one `?`
    /// per name followed by the due bound's `?` and the limit's, then the limit's `?` when there
    /// are several names.
    static func prioritizedClaimable(names: Int) -> String {
        let branch = """
            SELECT id, priority, scheduled_for FROM jobs WHERE status IN \(claimable) AND type IN \(runnable) \
            AND priority > 0 AND name = ? AND scheduled_for <= ? ORDER BY priority DESC, scheduled_for, id LIMIT ?
            """
        guard names > 1 else { return branch }
        let branches = Array(repeating: "SELECT * FROM (\(branch))", count: names).joined(separator: " UNION ALL ")
        return "SELECT id, priority, scheduled_for FROM (\(branches)) ORDER BY priority DESC, scheduled_for, id LIMIT ?"
    }

    /// The `limit` jobs a claim at `now` takes among `names`, in claim order: the due jobs above
    /// the default priority, highest first (when any job has one), then the earliest due of
    /// the others. Runs in the caller's transaction. Returns each row's `id` as stored.
    static func claimOrder(_ db: Database, names: [String], dueBy now: Int64, limit: Int) throws -> [DatabaseValue] {
        guard limit > 0 else { return [] }
        var chosen: [DatabaseValue] = []
        if try Bool.fetchOne(db.cachedStatement(sql: anyPrioritized)) == true {
            var rows: [(id: DatabaseValue, priority: Int64, scheduledFor: Int64)] = []
            for chunk in nameChunks(names) {
                var arguments = StatementArguments()
                for name in chunk { arguments += [name, now, limit] }
                if chunk.count > 1 { arguments += [limit] }
                for row in try Row.fetchAll(db.cachedStatement(sql: prioritizedClaimable(names: chunk.count)), arguments: arguments) {
                    guard case .int64(let priority) = (row[1] as DatabaseValue).storage,
                          case .int64(let due) = (row[2] as DatabaseValue).storage
                    else { continue }  // not a claimable shape: the ordinary order meets it
                    rows.append((row[0], priority, due))
                }
            }
            rows.sort { lhs, rhs in
                if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
                if lhs.scheduledFor != rhs.scheduledFor { return lhs.scheduledFor < rhs.scheduledFor }
                return precedesId(lhs.id, rhs.id)
            }
            chosen = rows.prefix(limit).map(\.id)
            if chosen.count == limit { return chosen }
        }
        // Every due prioritized job in scope is chosen already: the ordinary order's others follow.
        let taken = Set(chosen)
        let rest = try earliestClaimable(db, names: names, dueBy: now, limit: limit)
        for candidate in rest where chosen.count < limit && !taken.contains(candidate.id) { chosen.append(candidate.id) }
        return chosen
    }

    /// SQLite's order on text ids.
    private static func precedesId(_ lhs: DatabaseValue, _ rhs: DatabaseValue) -> Bool {
        if case .string(let left) = lhs.storage, case .string(let right) = rhs.storage { return left < right }
        return false
    }

    /// How many names one earliest-job query covers: each name is one branch of a compound
    /// SELECT, and SQLite allows 500 branches by default.
    static let namesPerQuery = 200

    /// `names` without repeats, in their order, cut into runs of at most ``namesPerQuery``: one
    /// query each.
    private static func nameChunks(_ names: [String]) -> [ArraySlice<String>] {
        var unique: [String] = []
        var seen: Set<String> = []
        for name in names where seen.insert(name).inserted { unique.append(name) }
        return stride(from: 0, to: unique.count, by: namesPerQuery).map { unique[$0..<min($0 + namesPerQuery, unique.count)] }
    }

    /// The earliest claimable jobs (`id`, `scheduled_for`) among `names` (at most
    /// ``namesPerQuery``), earliest first, optionally due by a bound: one `?` per name, each
    /// followed by the bound's `?` when `due`, then the limit's `?` after each name when there are
    /// several names, then the limit's `?`. Each branch reads the first entries of one name's
    /// range in `jobs_runnable`, so the query costs O(k (log n + limit)) for k names, however
    /// large the backlog.
    static func earliestClaimable(names: Int, due: Bool) -> String {
        let branch = """
            SELECT id, scheduled_for FROM jobs WHERE status IN \(claimable) AND type IN \(runnable) AND name = ?\
            \(due ? " AND scheduled_for <= ?" : "") ORDER BY scheduled_for, id LIMIT ?
            """
        guard names > 1 else { return branch }
        let branches = Array(repeating: "SELECT * FROM (\(branch))", count: names).joined(separator: " UNION ALL ")
        return "SELECT id, scheduled_for FROM (\(branches)) ORDER BY scheduled_for, id LIMIT ?"
    }

    /// The earliest claimable job among `names` (any number), due by `now` when given: one
    /// query per ``namesPerQuery`` names, the earliest of their answers. Runs in the caller's
    /// transaction. Returns the row's `id` as stored and its `scheduled_for` in milliseconds.
    static func earliestClaimable(
        _ db: Database, names: [String], dueBy now: Int64?
    ) throws -> (id: DatabaseValue, scheduledFor: DatabaseValue)? {
        try earliestClaimable(db, names: names, dueBy: now, limit: 1).first
    }

    /// The `limit` earliest claimable jobs among `names` (any number), earliest first (by
    /// `scheduled_for`, then `id`), due by `now` when given: one query per ``namesPerQuery``
    /// names, the earliest `limit` of their answers. Runs in the caller's transaction. Returns
    /// each row's `id` as stored and its `scheduled_for` in milliseconds.
    static func earliestClaimable(
        _ db: Database, names: [String], dueBy now: Int64?, limit: Int
    ) throws -> [(id: DatabaseValue, scheduledFor: DatabaseValue)] {
        guard limit > 0 else { return [] }
        var best: [(id: DatabaseValue, scheduledFor: DatabaseValue)] = []
        for chunk in nameChunks(names) {
            var arguments = StatementArguments()
            for name in chunk {
                arguments += [name]
                if let now { arguments += [now] }
                arguments += [limit]
            }
            if chunk.count > 1 { arguments += [limit] }
            let sql = earliestClaimable(names: chunk.count, due: now != nil)
            let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
            let candidates = rows.map { row in (id: row[0] as DatabaseValue, scheduledFor: row[1] as DatabaseValue) }
            if best.isEmpty {
                best = candidates
            } else if !candidates.isEmpty {
                // Both lists are in SQLite's order: merge them, keeping the first `limit`.
                var merged: [(id: DatabaseValue, scheduledFor: DatabaseValue)] = []
                var (left, right) = (best[...], candidates[...])
                while merged.count < limit, let first = left.first ?? right.first {
                    if let l = left.first, let r = right.first {
                        if precedes(r, l) { merged.append(r); right.removeFirst() } else { merged.append(l); left.removeFirst() }
                    } else {
                        merged.append(first)
                        if left.isEmpty { right.removeFirst() } else { left.removeFirst() }
                    }
                }
                best = merged
            }
        }
        return best
    }

    /// SQLite's order on (`scheduled_for`, `id`), for comparing the answers of two chunks.
    private static func precedes(
        _ lhs: (id: DatabaseValue, scheduledFor: DatabaseValue), _ rhs: (id: DatabaseValue, scheduledFor: DatabaseValue)
    ) -> Bool {
        switch (lhs.scheduledFor.storage, rhs.scheduledFor.storage, lhs.id.storage, rhs.id.storage) {
        case let (.int64(left), .int64(right), _, _) where left != right: left < right
        case let (.int64, .int64, .string(left), .string(right)): left < right
        case (.int64, _, _, _): true  // SQLite sorts integers before text and blobs
        default: false
        }
    }
}
