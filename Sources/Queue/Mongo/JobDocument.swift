import Foundation

/// The MongoDB form of a ``Job``: a document of `job_processor.jobs` with the seed's snake_case
/// field names (SPEC §5), so that tools built for the Node version read ours and we read theirs.
///
/// Writing: every top-level field is present, unset ones as null (`payload`, `output`,
/// `started_at`, `ended_at`, `worker_id`, `cron_string`), as the Node version stores them, so
/// every job has the same shape. Inside `output` (and `output.skip_metadata`) only what the run
/// produced is written. Reading accepts absent and null alike for every optional field, and
/// defaults `sync` to false and `concurrency.mode` to `concurrent` when they are missing.
/// `output.result` is arbitrary BSON: null there is a result, kept as `.null`.
enum JobDocument {
    /// The field that carries the name of an active exclusive job when exclusivity is enforced by
    /// the fallback index (see ``MongoJobStore/ExclusivityEnforcement/exclusiveKeyField``).
    static let exclusiveKey = "exclusive_key"

    /// The types of document a worker runs: jobs and cron tasks, never a cron's own document.
    static let runnableTypes: BSON = [.string(JobType.simple.rawValue), .string(JobType.cronTask.rawValue)]

    /// The statuses during which a job can be claimed.
    static let claimable: BSON = [.string(JobStatus.pending.rawValue), .string(JobStatus.paused.rawValue)]
    /// The statuses during which an exclusive name admits no second job, as a BSON array.
    static let active: BSON = .array(JobStatus.active.map { .string($0.rawValue) })

    /// The document for `job`. With `exclusiveKeyField`, an exclusive job in an active status
    /// also gets `exclusive_key` set to its name.
    static func encode(_ job: Job, exclusiveKeyField: Bool) -> BSONDocument {
        var document: BSONDocument = [
            "_id": .objectId(job.id),
            "name": .string(job.name),
            "type": .string(job.type.rawValue),
            "status": .string(job.status.rawValue),
            "payload": job.payload.map { .document($0) } ?? .null,
            "output": job.output.map { .document(encode($0)) } ?? .null,
            "scheduled_for": .date(job.scheduledFor),
            "started_at": job.startedAt.map { .date($0) } ?? .null,
            "ended_at": job.endedAt.map { .date($0) } ?? .null,
            "updated_at": .date(job.updatedAt),
            "created_at": .date(job.createdAt),
            "worker_id": job.workerId.map { .objectId($0) } ?? .null,
            "sync": .bool(job.sync),
            "cron_string": job.cronString.map { .string($0) } ?? .null,
            "concurrency": ["mode": .string(job.concurrency.rawValue)],
        ]
        if exclusiveKeyField, job.concurrency == .exclusive, JobStatus.active.contains(job.status) {
            document[exclusiveKey] = .string(job.name)
        }
        return document
    }

    /// The `output` subdocument: only the parts the run produced.
    static func encode(_ output: JobOutput) -> BSONDocument {
        var document = BSONDocument()
        document["duration"] = output.duration.map { .string($0) }
        document["result"] = output.result
        document["error"] = output.error.map { .string($0) }
        if let skip = output.skipMetadata {
            var metadata: BSONDocument = ["reason": .string(skip.reason)]
            metadata["conflicting_job_id"] = skip.conflictingJobId.map { .objectId($0) }
            metadata["skipped_at"] = .date(skip.skippedAt)
            document["skip_metadata"] = .document(metadata)
        }
        return document
    }

    /// The job stored as `document`.
    /// - Throws: ``JobStoreError`` with code `invalidDocument`, naming the job's id and the
    ///   field, when a field is missing or of the wrong type.
    static func decode(_ document: BSONDocument, operation: String) throws(JobStoreError) -> Job {
        let fields = StoredDocumentReader(document, kind: "job", operation: operation)
        return Job(
            id: try fields.objectId("_id"),
            name: try fields.string("name"),
            type: try fields.value("type", as: JobType.self),
            status: try fields.value("status", as: JobStatus.self),
            payload: try fields.optionalDocument("payload"),
            output: try fields.nested("output").map { output throws(JobStoreError) in try decodeOutput(output) },
            scheduledFor: try fields.date("scheduled_for"),
            startedAt: try fields.optionalDate("started_at"),
            endedAt: try fields.optionalDate("ended_at"),
            updatedAt: try fields.date("updated_at"),
            createdAt: try fields.date("created_at"),
            workerId: try fields.optionalObjectId("worker_id"),
            sync: try fields.optionalBool("sync") ?? false,
            cronString: try fields.optionalString("cron_string"),
            concurrency: try fields.nested("concurrency")?.optionalValue("mode", as: ConcurrencyMode.self) ?? .concurrent
        )
    }

    /// The job as the database keeps it: `job` with its dates cut to whole milliseconds, as BSON
    /// dates are (those inside `output.result` too), so that what ``MongoJobStore/insert(_:)`` or
    /// a batch of endings returns equals what a read returns.
    static func asStored(_ job: Job) throws(JobStoreError) -> Job {
        let operation = "insert job \(job.id)"
        let reread: BSONDocument
        do { reread = try BSONReader.decode(BSONWriter.encode(encode(job, exclusiveKeyField: false))) } catch {
            throw JobStoreError(.invalidJob, operation: operation, reason: error.description)
        }
        return try decode(reread, operation: operation)
    }

    static func decodeOutput(_ output: StoredDocumentReader) throws(JobStoreError) -> JobOutput {
        JobOutput(
            duration: try output.optionalString("duration"),
            result: output.raw("result"),
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
