import Foundation
import BSON
import Queue

/// Crons (`type: "cron"` documents in `job_processor.jobs`) and the dead-worker takeover.
extension MongoJobStore {
    /// Per declared cron: an upsert that creates the document if absent (the unique
    /// `cron_name` index keeps one per name when replicas race; the loser's duplicate-key error
    /// is expected) and an update that reschedules it if its expression changed. Then one
    /// delete of undeclared crons, one of their pending tasks, and one read.
    public func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        for cron in declared {
            let filter: BSONDocument = ["type": .string(JobType.cron.rawValue), "name": .string(cron.name)]
            let document = JobDocument.encode(
                Job(name: cron.name, type: .cron, scheduledFor: cron.scheduledFor, updatedAt: now, createdAt: now,
                    cronString: cron.cronString),
                exclusiveKeyField: false)
            var onInsert = document
            onInsert["type"] = nil
            onInsert["name"] = nil
            try await onJobs("declare cron \(cron.name)") { [onInsert] jobs throws(MongoError) in
                do throws(MongoError) {
                    try jobs.updateOne(filter, ["$setOnInsert": .document(onInsert)], upsert: true)
                } catch {
                    // A duplicate key: another replica created it at the same instant, and one
                    // document is what we want. Anything else is a failure.
                    guard error.code == .duplicateKey else { throw error }
                }
                try jobs.updateOne(
                    filter.merging(["cron_string": ["$ne": .string(cron.cronString)]]),
                    ["$set": ["cron_string": .string(cron.cronString), "scheduled_for": .date(cron.scheduledFor),
                              "updated_at": .date(now)]])
            }
        }
        let names = Self.strings(declared.map(\.name))
        try await onJobs("remove undeclared crons") { jobs throws(MongoError) in
            try jobs.deleteMany(["type": .string(JobType.cron.rawValue), "name": ["$nin": names]])
            try jobs.deleteMany([
                "type": .string(JobType.cronTask.rawValue), "status": .string(JobStatus.pending.rawValue),
                "name": ["$nin": names],
            ])
        }
        return try await crons()
    }

    /// Three commands while the cron is at `due`: a `find` that checks it is, the task's
    /// insert under the tick's id (a duplicate key: an earlier attempt stored it, and it is
    /// read), then the compare-and-set `update` of `scheduled_for` from `due` to `next`. The task
    /// goes first so that no failure leaves a moved cron without its task; the check, so that a
    /// timer armed on a due time the cron no longer has stores nothing. When the cron is not at
    /// `due`, one read of the tick's task, which the caller may still own (its earlier attempt
    /// moved the cron and lost the reply). A task that cannot be read is logged and the tick
    /// goes on without it (nil): taking the tick again would meet it again.
    public func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        let operation = "advance cron \(name)"
        let task = CronTick.task(task, of: name, due: due)
        let atDue: BSONDocument = [
            "type": .string(JobType.cron.rawValue), "name": .string(name), "scheduled_for": .date(due),
        ]
        let isAtDue = try await onJobs(operation) { jobs throws(MongoError) in
            try !jobs.find(atDue, limit: 1, projection: ["_id": 1]).isEmpty
        }
        var inserted: Job?
        var moved = false
        if isAtDue {
            inserted = try await store(task, operation: operation)
            let result = try await onJobs(operation) { jobs throws(MongoError) in
                try jobs.updateOne(atDue, ["$set": ["scheduled_for": .date(next), "updated_at": .date(task.createdAt)]])
            }
            moved = result.modified == 1
        }
        let stored: Job?
        if let inserted {
            stored = inserted
        } else {
            do throws(JobStoreError) { stored = try await job(id: task.id) } catch where error.code == .invalidDocument {
                logger.error("the task of a cron tick cannot be read; the tick goes on without it", metadata: ["error": "\(error)"])
                return nil
            }
        }
        guard let stored else { return nil }
        return CronTick.owns(stored, attempt: task, movedCron: moved) ? stored : nil
    }

    /// One `find` of every cron document.
    public func crons() async throws(JobStoreError) -> [CronRecord] {
        let operation = "list crons"
        let documents = try await onJobs(operation, retryingReads: true) { jobs throws(MongoError) in
            try jobs.find(["type": .string(JobType.cron.rawValue)], sort: ["name": 1])
        }
        var result: [CronRecord] = []
        for document in documents {
            let fields = StoredDocumentReader(document, kind: "cron", operation: operation)
            result.append(CronRecord(
                name: try fields.string("name"), cronString: try fields.string("cron_string"),
                scheduledFor: try fields.date("scheduled_for")))
        }
        return result
    }

    /// One `delete` guarded by `lastSeen`: only one caller removes the document.
    public func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        let deleted = try await on(Self.workersCollection, "declare worker \(workerId) dead") { workers throws(MongoError) in
            // A `lastSeen` that is not a date was written by no live worker: it counts as never seen.
            try workers.deleteMany(["_id": .objectId(workerId), "$or": [
                ["lastSeen": ["$lt": .date(seenBefore)]], ["lastSeen": ["$not": ["$type": "date"]]],
            ]])
        }
        return deleted == 1
    }

    /// One `delete` of ended jobs and one of acknowledged signals. The TTL index on `ended_at`
    /// does the same on the server; this covers servers that refuse it and a retention
    /// shorter than the index's.
    public func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int {
        let deleted = try await onJobs("delete ended jobs") { jobs throws(MongoError) in
            // `$ne: null` is redundant on MongoDB (type bracketing keeps null out of `$lt`), but
            // not every compatible server brackets: the emulator matches null there.
            try jobs.deleteMany(["ended_at": ["$ne": .null, "$lt": .date(cutoff)]])
        }
        try await on(Self.signalsCollection, "delete acknowledged signals") { signals throws(MongoError) in
            try signals.deleteMany(["ack": true, "created_at": ["$lt": .date(cutoff)]])
        }
        return deleted
    }
}
