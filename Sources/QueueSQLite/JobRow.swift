import Foundation
import GRDB
import BSON
import Queue

/// The SQLite form of a ``Job``: a row of `jobs` (see ``SQLiteSchema``).
///
/// Writing binds one value per column. Reading takes the columns by position (statements that
/// read a whole job select ``selection``): a row whose every column holds what this version
/// writes becomes a ``Job`` directly; any other row is turned into the equivalent MongoDB
/// document and decoded with ``JobDocument``, so both stores accept and reject the same things
/// (absent optional fields, unknown statuses...) with the same messages.
enum JobRow {
    /// The columns of `jobs`, in the order of ``insertSQL``'s placeholders.
    static let columns = [
        "id", "name", "type", "status", "payload", "output", "scheduled_for", "started_at", "ended_at",
        "updated_at", "created_at", "worker_id", "sync", "cron_string", "concurrency_mode", "trace_context",
        "priority", "expires_at", "unique_key", "attempts", "max_attempts", "attempt_errors",
    ]

    /// ``columns`` as a select (or `RETURNING`) list: what every statement that reads a whole
    /// job reads, in this order, so that ``decode(_:operation:)`` reads columns by position.
    static let selection = columns.joined(separator: ", ")

    /// Inserts one job (run by ``JobRowInsert``, which binds what ``arguments(_:)`` holds).
    /// Without `RETURNING`: the row holds the values bound, so the stored job is known without
    /// reading it back (see ``SQLiteJobStore/insert(_:)``).
    static let insertSQL = """
        INSERT INTO jobs (\(selection)) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))
        """

    /// The values of ``columns`` for `job`, through GRDB (a cron's own row; a job's row is
    /// bound by ``JobRowInsert``).
    static func arguments(_ job: Job) -> StatementArguments {
        StatementArguments(values(job))
    }

    /// The values of ``columns`` for `job`, in order.
    static func values(_ job: Job) -> [(any DatabaseValueConvertible)?] {
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
            job.traceContext.map(traceContext),
            job.priority,
            job.expiresAt.map(SQLiteValues.milliseconds),
            job.uniqueKey,
            job.attempts,
            job.maxAttempts,
            attemptErrors(job.attemptErrors),
        ]
    }

    /// The `trace_context` column: the BSON bytes of the carrier's strings, keys sorted.
    static func traceContext(_ carrier: [String: String]) -> Data {
        SQLiteValues.blob(BSONDocument(carrier.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
    }

    /// `job` as its row keeps it: dates cut to whole milliseconds, those in the payload and
    /// output too, as the BSON they are stored in. Every field is kept, whatever the type: the
    /// row has a column for each (MongoDB's cron tasks have no `payload`, `sync` or
    /// `cron_string`). Computed (``JobDocument/storedForm(_:keepingEveryField:)``) where it can
    /// be, through the document's round trip otherwise.
    static func asStored(_ job: Job) throws(JobStoreError) -> Job {
        if let stored = JobDocument.storedForm(job, keepingEveryField: true) { return stored }
        var shaped = job
        shaped.type = .simple  // the document shape that holds every field but `cron_string`
        var stored = try JobDocument.asStored(shaped)
        stored.type = job.type
        stored.cronString = job.cronString
        return stored
    }

    /// The `attempt_errors` column: the BSON bytes of `{errors: [...]}` as in MongoDB's
    /// `attempt_errors`, or NULL when there are none.
    static func attemptErrors(_ errors: [AttemptError]) -> Data? {
        errors.isEmpty ? nil : SQLiteValues.blob(["errors": JobDocument.encode(errors)])
    }

    /// The `output` column: the BSON bytes of the MongoDB `output` subdocument, or NULL.
    static func output(_ output: JobOutput?) -> Data? {
        output.map { SQLiteValues.blob(JobDocument.encode($0)) }
    }

    /// The job stored in `row`, which holds ``selection``.
    /// - Throws: ``JobStoreError`` with code `invalidDocument`, naming the job's id and the
    ///   column (or field), when a value cannot be read.
    static func decode(_ row: Row, operation: String) throws(JobStoreError) -> Job {
        if let job = decodeStored(row, operation: operation) { return job }
        return try decodeAsDocument(row, operation: operation)
    }

    /// The job in `row` when every column holds what this version writes (text ids and
    /// vocabulary, integer dates, 0 or 1 `sync`, BSON blobs that decode); nil otherwise, for
    /// ``decodeAsDocument(_:operation:)`` to report what is wrong. Reads columns by position:
    /// GRDB's by-name lookup compares lowercased names, column by column.
    private static func decodeStored(_ row: Row, operation: String) -> Job? {
        guard row.count == columns.count,
              case .string(let idText) = (row[0] as DatabaseValue).storage, let id = ObjectId(idText),
              case .string(let name) = (row[1] as DatabaseValue).storage,
              case .string(let typeText) = (row[2] as DatabaseValue).storage, let type = JobType(rawValue: typeText),
              case .string(let statusText) = (row[3] as DatabaseValue).storage,
              let status = JobStatus(rawValue: statusText),
              case .some(let payload) = document(row[4]),
              case .some(let outputDocument) = document(row[5]),
              case .int64(let scheduledFor) = (row[6] as DatabaseValue).storage,
              case .some(let startedAt) = date(row[7]),
              case .some(let endedAt) = date(row[8]),
              case .int64(let updatedAt) = (row[9] as DatabaseValue).storage,
              case .int64(let createdAt) = (row[10] as DatabaseValue).storage,
              case .some(let workerId) = objectId(row[11]),
              case .some(let sync) = flag(row[12])
        else { return nil }
        let cronString: String?
        switch (row[13] as DatabaseValue).storage {
        case .null: cronString = nil
        case .string(let text): cronString = text
        default: return nil
        }
        let concurrency: ConcurrencyMode
        switch (row[14] as DatabaseValue).storage {
        case .null: concurrency = .concurrent
        case .string(let text):
            guard let mode = ConcurrencyMode(rawValue: text) else { return nil }
            concurrency = mode
        default: return nil
        }
        guard case .some(let traceDocument) = document(row[15]) else { return nil }
        guard case .int64(let priority) = (row[16] as DatabaseValue).storage, Job.priorities.contains(Int(priority)),
              case .some(let expiresAt) = date(row[17])
        else { return nil }
        let uniqueKey: String?
        switch (row[18] as DatabaseValue).storage {
        case .null: uniqueKey = nil
        case .string(let text): uniqueKey = text
        default: return nil
        }
        guard case .int64(let attempts) = (row[19] as DatabaseValue).storage, attempts >= 0 else { return nil }
        let maxAttempts: Int?
        switch (row[20] as DatabaseValue).storage {
        case .null: maxAttempts = nil
        case .int64(let number) where number >= 0: maxAttempts = Int(number)
        default: return nil
        }
        var attemptErrors: [AttemptError] = []
        switch document(row[21]) {
        case .some(nil): break
        case .some(let errors?):
            let fields = StoredDocumentReader(["_id": .objectId(id), "attempt_errors": errors["errors"] ?? .null], kind: "job", operation: operation)
            guard let decoded = try? JobDocument.decodeAttemptErrors(fields) else { return nil }
            attemptErrors = decoded
        case .none: return nil
        }
        var output: JobOutput?
        if let outputDocument {
            // The same reader as the MongoDB decoder's, so the same rules for the subdocument.
            let fields = StoredDocumentReader(["_id": .objectId(id), "output": .document(outputDocument)], kind: "job", operation: operation)
            guard let reader = try? fields.nested("output"),
                  let decoded = try? JobDocument.decodeOutput(reader, finished: status == .finished)
            else { return nil }
            output = decoded
        }
        return Job(
            id: id, name: name, type: type, status: status, payload: payload, output: output,
            scheduledFor: SQLiteValues.date(scheduledFor), startedAt: startedAt, endedAt: endedAt,
            updatedAt: SQLiteValues.date(updatedAt), createdAt: SQLiteValues.date(createdAt), workerId: workerId,
            sync: sync ?? false, cronString: cronString, concurrency: concurrency,
            traceContext: traceDocument.map(JobDocument.decodeTraceContext), priority: Int(priority),
            expiresAt: expiresAt, uniqueKey: uniqueKey, attempts: Int(attempts), maxAttempts: maxAttempts,
            attemptErrors: attemptErrors)
    }

    /// A NULL or BSON BLOB column: `.some(nil)` for NULL, nil when it is anything else.
    private static func document(_ value: DatabaseValue) -> BSONDocument?? {
        switch value.storage {
        case .null: return .some(nil)
        case .blob(let data):
            let result: Result<BSONDocument, BSONError> = data.withUnsafeBytes { raw in
                Result { () throws(BSONError) in try BSONReader.decode(raw) }
            }
            return (try? result.get()).map { .some($0) }
        default: return nil
        }
    }

    /// A NULL or INTEGER milliseconds column: `.some(nil)` for NULL, nil when it is anything else.
    private static func date(_ value: DatabaseValue) -> Date?? {
        switch value.storage {
        case .null: .some(nil)
        case .int64(let milliseconds): .some(SQLiteValues.date(milliseconds))
        default: nil
        }
    }

    /// A NULL or ObjectId TEXT column: `.some(nil)` for NULL, nil when it is anything else.
    private static func objectId(_ value: DatabaseValue) -> ObjectId?? {
        switch value.storage {
        case .null: .some(nil)
        case .string(let text): ObjectId(text).map { .some($0) }
        default: nil
        }
    }

    /// A NULL, 0 or 1 INTEGER column: `.some(nil)` for NULL, nil when it is anything else.
    private static func flag(_ value: DatabaseValue) -> Bool?? {
        switch value.storage {
        case .null: .some(nil)
        case .int64(let flag) where flag == 0 || flag == 1: .some(flag == 1)
        default: nil
        }
    }

    /// The job stored in `row`, read as the equivalent MongoDB document by column name: the
    /// path of a row that ``decodeStored(_:operation:)`` does not take, which names what is wrong.
    private static func decodeAsDocument(_ row: Row, operation: String) throws(JobStoreError) -> Job {
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
            JobDocument.traceContextField: try columns.document("trace_context"),
            "priority": try columns.integer("priority"),
            "expires_at": try columns.date("expires_at"),
            "unique_key": try columns.text("unique_key"),
            "attempts": try columns.integer("attempts"),
            "max_attempts": try columns.integer("max_attempts"),
            "attempt_errors": try columns.document("attempt_errors").documentValue?["errors"] ?? .null,
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

    /// What can be read of a worker row that ``decode(_:operation:)`` refuses, by the rules of
    /// ``WorkerDocument/salvage(_:)``: nil without an ObjectId id; an unreadable `last_seen`
    /// reads as never seen.
    static func salvage(_ row: Row) -> WorkerRecord? {
        func column(_ name: String) -> DatabaseValue.Storage {
            row.hasColumn(name) ? (row[name] as DatabaseValue).storage : .null
        }
        guard case .string(let idText) = column("id"), let id = ObjectId(idText) else { return nil }
        var document: BSONDocument = ["_id": .objectId(id)]
        if case .string(let hostname) = column("hostname") { document["hostname"] = .string(hostname) }
        if case .string(let tags) = column("tags"), let strings = SQLiteValues.strings(fromJSON: tags) {
            document["tags"] = .array(strings.map { .string($0) })
        }
        if case .int64(let milliseconds) = column("last_seen") { document["lastSeen"] = .date(SQLiteValues.date(milliseconds)) }
        return WorkerDocument.salvage(document)
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
