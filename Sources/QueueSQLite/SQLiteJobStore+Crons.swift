import Foundation
import GRDB
import BSON
import Queue

/// Crons (rows of `jobs` with `type = 'cron'`, one per name by the `jobs_cron_name` index) and
/// the dead-worker takeover. Each operation is one `IMMEDIATE` write transaction, so it is
/// atomic across the processes that share the file.
extension SQLiteJobStore {
    /// One transaction: per declared cron, an insert that does nothing when its name has a row
    /// and an update that reschedules it if its expression changed; then the deletes of
    /// undeclared crons and of their pending tasks, and the read of what is stored.
    public func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        let operation = "declare crons"
        let milliseconds = SQLiteValues.milliseconds(now)
        return try await write(operation) { db in
            for cron in declared {
                let row = Job(
                    name: cron.name, type: .cron, scheduledFor: cron.scheduledFor, updatedAt: now, createdAt: now,
                    cronString: cron.cronString)
                try db.execute(sql: CronRow.declareSQL, arguments: JobRow.arguments(row))
                try db.execute(
                    sql: """
                        UPDATE jobs SET cron_string = ?, scheduled_for = ?, updated_at = ?
                        WHERE type = 'cron' AND name = ? AND cron_string IS NOT ?
                        """,
                    arguments: [cron.cronString, SQLiteValues.milliseconds(cron.scheduledFor), milliseconds, cron.name,
                                cron.cronString])
            }
            // The same rule as MongoJobStore: pending tasks of any name not declared as a cron go.
            let names = declared.map(\.name)
            let notDeclared = "name NOT IN (\(names.map { _ in "?" }.joined(separator: ", ")))"
            try db.execute(sql: "DELETE FROM jobs WHERE type = 'cron' AND \(notDeclared)", arguments: StatementArguments(names))
            try db.execute(
                sql: "DELETE FROM jobs WHERE type = 'cron_task' AND status = 'pending' AND \(notDeclared)",
                arguments: StatementArguments(names))
            return try CronRow.all(db, operation: operation)
        }
    }

    /// One transaction: the compare-and-set `UPDATE` of the cron's `scheduled_for` from `due`
    /// to `next`, the read of the tick's task by primary key, and, when the cron moved and the
    /// tick has no task, the task's insert. The write lock makes exactly one caller see the row
    /// at `due`, and a failed insert undoes the move. A stored task that cannot be read is
    /// logged and the tick goes on without it (nil): taking the tick again would meet it again.
    public func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        let operation = "advance cron \(name)"
        let task = CronTick.task(task, of: name, due: due)
        let arguments: StatementArguments = [
            SQLiteValues.milliseconds(next), SQLiteValues.milliseconds(task.createdAt), name, SQLiteValues.milliseconds(due),
        ]
        let taken = try await write(operation) { db -> Result<Job?, JobStoreError> in
            try db.execute(
                sql: "UPDATE jobs SET scheduled_for = ?, updated_at = ? WHERE type = 'cron' AND name = ? AND scheduled_for = ?",
                arguments: arguments)
            let moved = db.changesCount == 1
            let id = task.id.description.databaseValue
            if let stored = try Self.readJobs(db, ids: [id], operation: operation)[id] {
                return stored.map { CronTick.owns($0, attempt: task, movedCron: moved) ? $0 : nil }
            }
            return .success(moved ? try Self.insert(db, task, operation: operation) : nil)
        }
        switch taken {
        case .success(let job):
            return job
        case .failure(let error):
            logger.error("the task of a cron tick cannot be read; the tick goes on without it", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// One read of every cron row, by name.
    public func crons() async throws(JobStoreError) -> [CronRecord] {
        let operation = "list crons"
        return try await read(operation) { db in try CronRow.all(db, operation: operation) }
    }

    /// Two `DELETE`s in one transaction: ended jobs, acknowledged signals.
    public func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int {
        let arguments: StatementArguments = [SQLiteValues.milliseconds(cutoff)]
        return try await write("delete ended jobs") { db in
            try db.execute(sql: "DELETE FROM jobs WHERE ended_at IS NOT NULL AND ended_at < ?", arguments: arguments)
            let deleted = db.changesCount
            try db.execute(sql: "DELETE FROM signals WHERE ack = 1 AND created_at < ?", arguments: arguments)
            return deleted
        }
    }

    /// One `DELETE` guarded by `last_seen`: only one caller removes the row.
    public func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        let arguments: StatementArguments = [workerId.description, SQLiteValues.milliseconds(seenBefore)]
        return try await write("declare worker \(workerId) dead") { db in
            // A `last_seen` that is not an integer was written by no live worker: never seen.
            try db.execute(
                sql: "DELETE FROM workers WHERE id = ? AND (last_seen < ? OR typeof(last_seen) != 'integer')",
                arguments: arguments)
            return db.changesCount == 1
        }
    }
}

/// The SQLite form of a ``CronRecord``: a row of `jobs` with `type = 'cron'`, its expression in
/// `cron_string` and its next due time in `scheduled_for`.
enum CronRow {
    /// Inserts a cron's row (the values of ``JobRow/arguments(_:)``) unless its name has one.
    static let declareSQL = """
        INSERT INTO jobs (\(JobRow.columns.joined(separator: ", ")))
        VALUES (\(JobRow.columns.map { _ in "?" }.joined(separator: ", ")))
        ON CONFLICT (name) WHERE type = 'cron' DO NOTHING
        """

    /// Every cron row, by name, in the caller's transaction.
    static func all(_ db: Database, operation: String) throws -> [CronRecord] {
        let sql = "SELECT id, name, cron_string, scheduled_for FROM jobs WHERE type = 'cron' ORDER BY name"
        var crons: [CronRecord] = []
        for row in try Row.fetchAll(db, sql: sql) {
            crons.append(try decode(row, operation: operation))
        }
        return crons
    }

    /// The cron stored in `row`, with the same rules and messages as MongoJobStore's.
    static func decode(_ row: Row, operation: String) throws(JobStoreError) -> CronRecord {
        let columns = SQLiteRowReader(row, kind: "cron", operation: operation)
        let fields = StoredDocumentReader([
            "_id": try columns.objectId("id"), "name": try columns.text("name"),
            "cron_string": try columns.text("cron_string"), "scheduled_for": try columns.date("scheduled_for"),
        ], kind: "cron", operation: operation)
        return CronRecord(
            name: try fields.string("name"), cronString: try fields.string("cron_string"),
            scheduledFor: try fields.date("scheduled_for"))
    }
}
