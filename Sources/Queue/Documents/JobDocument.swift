import Foundation
import BSON

/// The MongoDB form of a ``Job``: a document of `job_processor.jobs` in the Node version's
/// shape (SPEC §5; `shared/node-compat/`), so that a database can be shared with Node workers or
/// handed back to them: every document passes the `$jsonSchema` validator the Node version
/// installs, whose objects are all closed.
///
/// Writing, per type (the validator's three branches):
/// - `simple`: `_id`, `name`, `type`, `status`, `payload` (or null), `output` (or null),
///   `scheduled_for`, `started_at`, `ended_at` (or null), `updated_at`, `created_at`,
///   `worker_id` (or null, always present), `sync`, `concurrency`; and `trace_context` when the
///   job carries one (a field of ours, which a store on the Node version's database leaves out).
/// - `cron_task`: the same without `payload` and `sync`, which that branch forbids.
/// - `cron`: `_id`, `name`, `type`, `status: "active"`, `cron_string`, `scheduled_for`,
///   `updated_at`, `created_at`.
/// Our own options add fields only where a job uses them (`priority` above 0, `expires_at`, `unique_key`), so that a job
/// that uses none passes the Node validator; a database with that validator refuses the
/// options at start (``JobOptionsCheck``).
/// `output` always holds `duration` (`"--"` when the run has none), `result` and `error` (null
/// when absent), and `skip_metadata` when skipped, its `reason` one of the validator's values.
///
/// Reading accepts absent and null alike for every optional field, defaults `sync` to false
/// and `concurrency.mode` to `concurrent`, and reads a cron's `active` as pending. In `output`,
/// `"--"` reads as no duration and a null `result` as no result unless the job finished (null
/// returned by a handler is a result, kept as `.null`).
package enum JobDocument {
    /// The field that carries a job's ``Job/traceContext``: a subdocument of strings. Not in
    /// the Node version's schema, whose validator refuses it: a store on such a database leaves
    /// it out (the run's span then has no link).
    package static let traceContextField = "trace_context"

    /// The field that carries the name of an active exclusive job when exclusivity is enforced by
    /// the fallback index (see ``MongoJobStore/ExclusivityEnforcement/exclusiveKeyField``).
    package static let exclusiveKey = "exclusive_key"
    /// The field that carries an active job's unique key where the fallback index enforces
    /// unique keys (as ``exclusiveKey`` does exclusivity).
    package static let heldUniqueKey = "unique_key_held"

    /// The types of document a worker runs: jobs and cron tasks, never a cron's own document.
    package static let runnableTypes: BSON = [.string(JobType.simple.rawValue), .string(JobType.cronTask.rawValue)]

    /// The statuses during which a job can be claimed.
    package static let claimable: BSON = [.string(JobStatus.pending.rawValue), .string(JobStatus.paused.rawValue)]
    /// The statuses during which an exclusive name admits no second job, as a BSON array.
    package static let active: BSON = .array(JobStatus.active.map { .string($0.rawValue) })

    /// The field a store adds to a document it could read only in part: its value says why the
    /// rest could not be read. Never a stored field (`$` cannot start one).
    package static let unreadableField = "$unreadable"

    /// The status every cron document has in the Node version's schema.
    package static let cronStatus = "active"
    /// What `output.duration` holds for a run that has none (skipped, recovered), as the Node
    /// version writes it.
    package static let noDuration = "--"

    /// The document for `job`, in its type's shape. With `exclusiveKeyField`, an exclusive job
    /// in an active status also gets `exclusive_key` set to its name, and an active job with a
    /// unique key `unique_key_held` set to it.
    package static func encode(_ job: Job, exclusiveKeyField: Bool) -> BSONDocument {
        if job.type == .cron {
            return [
                "_id": .objectId(job.id), "name": .string(job.name), "type": .string(JobType.cron.rawValue),
                "status": .string(cronStatus), "cron_string": .string(job.cronString ?? ""),
                "scheduled_for": .date(job.scheduledFor), "updated_at": .date(job.updatedAt),
                "created_at": .date(job.createdAt),
            ]
        }
        var document: BSONDocument = [
            "_id": .objectId(job.id),
            "name": .string(job.name),
            "type": .string(job.type.rawValue),
            "status": .string(job.status.rawValue),
        ]
        if job.type == .simple { document["payload"] = job.payload.map { .document($0) } ?? .null }
        document["output"] = job.output.map { .document(encode($0)) } ?? .null
        document["scheduled_for"] = .date(job.scheduledFor)
        document["started_at"] = job.startedAt.map { .date($0) } ?? .null
        document["ended_at"] = job.endedAt.map { .date($0) } ?? .null
        document["updated_at"] = .date(job.updatedAt)
        document["created_at"] = .date(job.createdAt)
        document["worker_id"] = job.workerId.map { .objectId($0) } ?? .null
        if job.type == .simple { document["sync"] = .bool(job.sync) }
        document["concurrency"] = ["mode": .string(job.concurrency.rawValue)]
        if let traceContext = job.traceContext {
            document[traceContextField] = .document(BSONDocument(traceContext.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))
        }
        if job.priority != 0 { document["priority"] = .int32(Int32(clamping: job.priority)) }
        if let expiresAt = job.expiresAt { document["expires_at"] = .date(expiresAt) }
        if let uniqueKey = job.uniqueKey { document["unique_key"] = .string(uniqueKey) }
        if let maxAttempts = job.maxAttempts { document["max_attempts"] = .int32(Int32(clamping: maxAttempts)) }
        if job.attempts != 0 || !job.attemptErrors.isEmpty {
            document["attempts"] = .int32(Int32(clamping: job.attempts))
            document["attempt_errors"] = encode(job.attemptErrors)
        }
        if exclusiveKeyField, job.concurrency == .exclusive, JobStatus.active.contains(job.status) {
            document[exclusiveKey] = .string(job.name)
        }
        if exclusiveKeyField, let uniqueKey = job.uniqueKey, JobStatus.active.contains(job.status) {
            document[heldUniqueKey] = .string(uniqueKey)
        }
        return document
    }

    /// The `output` subdocument: `duration`, `result` and `error` always (null when absent),
    /// `skip_metadata` when skipped.
    package static func encode(_ output: JobOutput) -> BSONDocument {
        var document: BSONDocument = [
            "duration": .string(output.duration ?? noDuration),
            "result": output.result ?? .null,
            "error": output.error.map { .string($0) } ?? .null,
        ]
        if let skip = output.skipMetadata {
            document["skip_metadata"] = [
                "reason": .string(skip.reason),
                "conflicting_job_id": skip.conflictingJobId.map { .objectId($0) } ?? .null,
                "skipped_at": .date(skip.skippedAt),
            ]
        }
        return document
    }

    /// The job stored as `document`.
    /// - Throws: ``JobStoreError`` with code `invalidDocument`, naming the job's id and the
    ///   field, when a field is missing or of the wrong type.
    package static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> Job {
        let fields = StoredDocumentReader(document, kind: "job", operation: operation)
        if let reason = document[unreadableField]?.stringValue {
            throw JobStoreError(.invalidDocument, operation: operation, reason: "\(fields.subject): \(reason)")
        }
        let type = try fields.value("type", as: JobType.self)
        let status = type == .cron && fields.raw("status") == .string(cronStatus)
            ? JobStatus.pending : try fields.value("status", as: JobStatus.self)
        return Job(
            id: try fields.objectId("_id"),
            name: try fields.string("name"),
            type: type,
            status: status,
            payload: try fields.optionalDocument("payload"),
            output: try fields.nested("output").map { output throws(JobStoreError) in
                try decodeOutput(output, finished: status == .finished)
            },
            scheduledFor: try fields.date("scheduled_for"),
            startedAt: try fields.optionalDate("started_at"),
            endedAt: try fields.optionalDate("ended_at"),
            updatedAt: try fields.date("updated_at"),
            createdAt: try fields.date("created_at"),
            workerId: try fields.optionalObjectId("worker_id"),
            sync: try fields.optionalBool("sync") ?? false,
            cronString: try fields.optionalString("cron_string"),
            concurrency: try fields.nested("concurrency")?.optionalValue("mode", as: ConcurrencyMode.self) ?? .concurrent,
            traceContext: try fields.optionalDocument(traceContextField).map(decodeTraceContext),
            priority: try fields.optionalPriority("priority") ?? 0,
            expiresAt: try fields.optionalDate("expires_at"),
            uniqueKey: try fields.optionalString("unique_key"),
            attempts: try fields.optionalCount("attempts") ?? 0,
            maxAttempts: try fields.optionalCount("max_attempts"),
            attemptErrors: try decodeAttemptErrors(fields)
        )
    }

    /// A stored trace context: its string fields (a tracer writes nothing else; anything else
    /// is left out rather than failing the job's read, the link being only a hint).
    package static func decodeTraceContext(_ document: BSONDocument) -> [String: String] {
        var carrier: [String: String] = [:]
        for (key, value) in document { if let text = value.stringValue { carrier[key] = text } }
        return carrier
    }

    /// The job as the database keeps it: `job` with its dates cut to whole milliseconds, as BSON
    /// dates are (those inside `output.result` too), so that what ``MongoJobStore/insert(_:)`` or
    /// a batch of endings returns equals what a read returns. Computed by
    /// ``storedForm(_:keepingEveryField:)`` where it can tell, by a round trip otherwise.
    package static func asStored(_ job: Job) throws(JobStoreError) -> Job {
        if let stored = storedForm(job, keepingEveryField: false) { return stored }
        let operation = "insert job \(job.id)"
        let reread: BSONDocument
        do { reread = try BSONReader.decode(BSONWriter.encode(encode(job, exclusiveKeyField: false))) } catch {
            throw JobStoreError(.invalidJob, operation: operation, reason: error.description)
        }
        return try decode(reread, operation: operation)
    }

    /// `attempt_errors`: an array of `{attempt, error, at}`.
    package static func encode(_ errors: [AttemptError]) -> BSON {
        .array(errors.map { error in
            ["attempt": .int32(Int32(clamping: error.attempt)), "error": .string(error.error), "at": .date(error.at)]
        })
    }

    /// The `attempt_errors` of a job document (absent or null: none).
    package static func decodeAttemptErrors(_ fields: StoredDocumentReader) throws(JobStoreError) -> [AttemptError] {
        guard let value = fields.raw("attempt_errors"), !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw fields.invalid("attempt_errors", "should be an array, not \(value.typeName)") }
        var errors: [AttemptError] = []
        for item in items {
            guard let document = item.documentValue, let attempt = document["attempt"]?.intValue,
                  let error = document["error"]?.stringValue, let at = document["at"]?.dateValue
            else { throw fields.invalid("attempt_errors", "should hold {attempt, error, at} documents") }
            errors.append(AttemptError(attempt: attempt, error: error, at: at))
        }
        return errors
    }

    /// The output read by `output`; `finished` tells whether a null `result` is a result.
    package static func decodeOutput(_ output: StoredDocumentReader, finished: Bool) throws(JobStoreError) -> JobOutput {
        let duration = try output.optionalString("duration")
        let result = output.raw("result")
        return JobOutput(
            duration: duration == noDuration ? nil : duration,
            result: result == .null && !finished ? nil : result,
            error: try output.optionalString("error"),
            skipMetadata: try output.nested("skip_metadata").map { skip throws(JobStoreError) in
                SkipMetadata(
                    reason: try skip.string("reason"),
                    conflictingJobId: try skip.optionalObjectId("conflicting_job_id"),
                    skippedAt: try skip.date("skipped_at"))
            })
    }
}

extension Job {
    /// The job as MongoDB stores it (SPEC §5 field names): what `--json` outputs print.
    public var storedDocument: BSONDocument { JobDocument.encode(self, exclusiveKeyField: false) }
}
