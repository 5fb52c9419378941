import Foundation
import GRDB

/// The SQLite form of a ``Job``: a row of `jobs` (see ``SQLiteSchema``).
///
/// Writing binds one value per column. Reading turns the row into the equivalent MongoDB
/// document and decodes it with ``JobDocument``, so both stores accept and reject the same
/// things (absent optional fields, unknown statuses...) with the same messages.
enum JobRow {
    /// The columns of `jobs`, in the order of ``insertSQL``'s placeholders.
    static let columns = [
        "id", "name", "type", "status", "payload", "output", "scheduled_for", "started_at", "ended_at",
        "updated_at", "created_at", "worker_id", "sync", "cron_string", "concurrency_mode",
    ]

    /// Inserts one job and returns it as stored.
    static let insertSQL = """
        INSERT INTO jobs (\(columns.joined(separator: ", ")))
        VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) RETURNING *
        """

    /// The values of ``columns`` for `job`.
    static func arguments(_ job: Job) -> StatementArguments {
        [
            job.id.description,
            job.name,
            job.type.rawValue,
            job.status.rawValue,
            job.payload.map(SQLiteValues.blob),
            output(job.output),
            SQLiteValues.milliseconds(job.scheduledFor),
            job.startedAt.map(SQLiteValues.milliseconds),
            job.endedAt.map(SQLiteValues.milliseconds),
            SQLiteValues.milliseconds(job.updatedAt),
            SQLiteValues.milliseconds(job.createdAt),
            job.workerId?.description,
            job.sync,
            job.cronString,
            job.concurrency.rawValue,
        ]
    }

    /// The `output` column: the BSON bytes of the MongoDB `output` subdocument, or NULL.
    static func output(_ output: JobOutput?) -> Data? {
        output.map { SQLiteValues.blob(JobDocument.encode($0)) }
    }

    /// The job stored in `row` (all columns of `jobs`).
    /// - Throws: ``JobStoreError`` with code `invalidDocument`, naming the job's id and the
    ///   column (or field), when a value cannot be read.
    static func decode(_ row: Row, operation: String) throws(JobStoreError) -> Job {
        let columns = SQLiteRowReader(row, kind: "job", operation: operation)
        let document: BSONDocument = [
            "_id": try columns.objectId("id"),
            "name": try columns.text("name"),
            "type": try columns.text("type"),
            "status": try columns.text("status"),
            "payload": try columns.document("payload"),
            "output": try columns.document("output"),
            "scheduled_for": try columns.date("scheduled_for"),
            "started_at": try columns.date("started_at"),
            "ended_at": try columns.date("ended_at"),
            "updated_at": try columns.date("updated_at"),
            "created_at": try columns.date("created_at"),
            "worker_id": try columns.objectId("worker_id"),
            "sync": try columns.bool("sync"),
            "cron_string": try columns.text("cron_string"),
            "concurrency": ["mode": try columns.text("concurrency_mode")],
        ]
        return try JobDocument.decode(document, operation: operation)
    }
}

/// The SQLite form of a ``WorkerRecord``: a row of `workers`; `tags` is a JSON array of
/// strings, NULL for a worker that takes every job; `last_seen` is MongoDB's `lastSeen`.
enum WorkerRow {
    /// Inserts a worker, or replaces the fields of the one with the same id.
    static let upsertSQL = """
        INSERT INTO workers (id, hostname, tags, last_seen) VALUES (?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET hostname = excluded.hostname, tags = excluded.tags, last_seen = excluded.last_seen
        """

    /// The values of ``upsertSQL``'s placeholders.
    static func arguments(_ worker: WorkerRecord) -> StatementArguments {
        [worker.id.description, worker.hostname, worker.tags.map(SQLiteValues.json), SQLiteValues.milliseconds(worker.lastSeen)]
    }

    /// The worker stored in `row`.
    static func decode(_ row: Row, operation: String) throws(JobStoreError) -> WorkerRecord {
        let columns = SQLiteRowReader(row, kind: "worker", operation: operation)
        return try WorkerDocument.decode([
            "_id": try columns.objectId("id"), "hostname": try columns.text("hostname"),
            "tags": try columns.stringList("tags"), "lastSeen": try columns.date("last_seen"),
        ], operation: operation)
    }
}

/// The SQLite form of a ``SignalRecord``: a row of `signals`, its kind in `type`, its
/// acknowledgement in `ack` (0 or 1).
enum SignalRow {
    /// Inserts one signal.
    static let insertSQL = "INSERT INTO signals (id, type, job_id, worker_id, created_at, ack) VALUES (?, ?, ?, ?, ?, ?)"

    /// The values of ``insertSQL``'s placeholders.
    static func arguments(_ signal: SignalRecord) -> StatementArguments {
        [
            signal.id.description, signal.kind.rawValue, signal.jobId.description, signal.workerId.description,
            SQLiteValues.milliseconds(signal.createdAt), signal.acknowledged,
        ]
    }

    /// The signal stored in `row`.
    static func decode(_ row: Row, operation: String) throws(JobStoreError) -> SignalRecord {
        let columns = SQLiteRowReader(row, kind: "signal", operation: operation)
        return try SignalDocument.decode([
            "_id": try columns.objectId("id"), "type": try columns.text("type"),
            "job_id": try columns.objectId("job_id"), "worker_id": try columns.objectId("worker_id"),
            "created_at": try columns.date("created_at"), "ack": try columns.bool("ack"),
        ], operation: operation)
    }
}
