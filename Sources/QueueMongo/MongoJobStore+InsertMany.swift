import Foundation
import BSON
import Queue

/// Batch scheduling: many new jobs in one unordered `insert` command.
extension MongoJobStore {
    /// One `find` of the batch's ids (any already stored refuses the batch before anything is
    /// written), then one unordered `insert` of every job: two commands for the batch, however
    /// large (libmongoc splits the insert only past 100,000 documents or 48 MB). The unique
    /// index refuses an exclusive job whose name is active, stored or earlier in the batch;
    /// those refusals cost the batch one `find` of the active twins of every refused name and
    /// one `insert` of the skipped jobs, whatever their number. A refused job whose twin ended
    /// in between is inserted again, as ``insert(_:)`` does; so is, without its trace context, a
    /// job a validator refused for it (on the Node version's database the trace contexts are
    /// left out from the start). A job with a unique key that the index refused (an active job
    /// holds the key, stored or earlier in the batch) goes through ``insert(_:)`` on its own,
    /// which returns the holder: a few commands for each such job.
    ///
    /// Should another process store one of the batch's ids between the check and the insert
    /// (possible only with ids chosen by hand), the jobs this call stored that no worker has
    /// changed yet are deleted again (one `delete`) before the call throws: a worker that
    /// claimed one in those few milliseconds runs it.
    /// - Throws: ``JobStoreError`` with code `invalidJob` and the job's index when its id is
    ///   stored or given twice.
    public func insert(many given: [Job]) async throws(JobStoreError) -> [Job] {
        guard !given.isEmpty else { return [] }
        if let repeated = JobBatch.repeatedId(in: given) { throw repeated }
        // As insert(_:): the Node version's validator refuses a trace context.
        var jobs = given
        if nodeValidatorInstalled { for index in jobs.indices { jobs[index].traceContext = nil } }
        let operation = JobBatch.operation(jobs.count)
        if let index = try await firstStored(jobs.map(\.id), operation: operation) {
            throw JobBatch.idStored(at: index, of: jobs.count)
        }
        var stored: [Job?] = Array(repeating: nil, count: jobs.count)
        var holders: [Int: Job] = [:]
        var remaining = Array(jobs.indices)
        for _ in 0..<Self.attemptsOnRace where !remaining.isEmpty {
            let refused = try await insertEach(remaining, of: jobs, into: &stored, operation: operation)
            // A validator this store did not know of refused their trace context: the link
            // goes, the job is inserted again without it.
            for index in refused.unvalidated { jobs[index].traceContext = nil }
            try await storeKeyed(refused.keyed, of: jobs, into: &stored, holders: &holders, operation: operation)
            remaining = try await storeSkipped(refused.conflicts, of: jobs, into: &stored, operation: operation)
                + refused.unvalidated
        }
        guard remaining.isEmpty else {
            try await withdraw(stored, operation: operation)
            throw JobStoreError(
                .database, operation: operation, reason: "the exclusive name kept changing hands; gave up",
                jobIndex: remaining[0])
        }
        return stored.indices.map { holders[$0] ?? stored[$0]! }  // each index was stored, skipped or held above
    }

    /// The index of the first id of `ids` that a stored job has, or nil: one `find` per 50,000
    /// ids (a filter of that many ObjectIds is about a megabyte, far below the 16 MB limit).
    private func firstStored(_ ids: [ObjectId], operation: String) async throws(JobStoreError) -> Int? {
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + 50_000, ids.count)])
            let filter: BSONDocument = ["_id": ["$in": .array(chunk.map { .objectId($0) })]]
            let found = try await onJobs(operation, retryingReads: true) { jobs throws(MongoError) in
                try jobs.find(filter, limit: 1, projection: ["_id": 1]).first?["_id"]?.objectIdValue
            }
            if let found, let index = chunk.firstIndex(of: found) { return start + index }
            start += chunk.count
        }
        return nil
    }

    /// Inserts the jobs at `indexes` of `jobs` in one unordered command, recording each one
    /// stored in `stored`. Returns the indexes of the exclusive jobs the unique index refused,
    /// of the jobs with a unique key it refused, and of the jobs with a trace context a
    /// validator refused; any other refusal withdraws the batch and throws.
    private func insertEach(
        _ indexes: [Int], of jobs: [Job], into stored: inout [Job?], operation: String
    ) async throws(JobStoreError) -> (conflicts: [Int], keyed: [Int], unvalidated: [Int]) {
        let exclusiveKey = usesExclusiveKey
        let documents = indexes.map { JobDocument.encode(jobs[$0], exclusiveKeyField: exclusiveKey) }
        let refused = try await onJobs(operation) { collection throws(MongoError) in try collection.insertEach(documents) }
        var conflicts: [Int] = []
        var keyed: [Int] = []
        var unvalidated: [Int] = []
        for (position, index) in indexes.enumerated() {
            guard let error = refused[position] else {
                stored[index] = try JobDocument.asStored(jobs[index])
                continue
            }
            let job = jobs[index]
            if error.code == .duplicateKey, job.uniqueKey != nil, JobStatus.active.contains(job.status) {
                keyed.append(index)
            } else if error.code == .duplicateKey, job.concurrency == .exclusive, JobStatus.active.contains(job.status) {
                conflicts.append(index)
            } else if error.serverCode == Self.documentValidationFailure, job.traceContext != nil {
                unvalidated.append(index)
            } else {
                try await refuse(stored, index: index, error: error, operation: operation)
            }
        }
        return (conflicts, keyed, unvalidated)
    }

    /// Stores each job at `keyed` as ``insert(_:)`` does, one after another: recorded in
    /// `stored` when stored (or stored `skipped`), in `holders` when an active job holding its
    /// key comes back instead (not withdrawn if the batch fails: this call did not store it).
    private func storeKeyed(
        _ keyed: [Int], of jobs: [Job], into stored: inout [Job?], holders: inout [Int: Job], operation: String
    ) async throws(JobStoreError) {
        for index in keyed {
            let result: Job?
            do { result = try await store(jobs[index], operation: operation) } catch {
                try await withdraw(stored, operation: operation)
                var refusal = error
                refusal.jobIndex = index
                throw refusal
            }
            guard let result else { try await refuse(stored, index: index, error: nil, operation: operation) }
            if result.id == jobs[index].id { stored[index] = result } else { holders[index] = result }
        }
    }

    /// Stores `skipped` each job at `conflicts` whose name has an active twin (one `find` of the
    /// twins, one `insert`), recording them in `stored`. Returns the indexes whose twin had
    /// ended by the time it was read: they may be inserted as they are again.
    private func storeSkipped(
        _ conflicts: [Int], of jobs: [Job], into stored: inout [Job?], operation: String
    ) async throws(JobStoreError) -> [Int] {
        guard !conflicts.isEmpty else { return [] }
        let names = Array(Set(conflicts.map { jobs[$0].name }))
        let filter = exclusiveTwinsFilter(names)
        let nameField = usesExclusiveKey ? JobDocument.exclusiveKey : "name"
        let twins = try await onJobs(operation, retryingReads: true) { collection throws(MongoError) in
            try collection.find(filter, projection: ["_id": 1, nameField: 1])
        }
        var twinOfName: [String: ObjectId] = [:]
        for twin in twins {
            if let name = twin[nameField]?.stringValue, let id = twin["_id"]?.objectIdValue { twinOfName[name] = id }
        }
        var skipped: [(index: Int, job: Job)] = []
        var retry: [Int] = []
        for index in conflicts {
            let job = jobs[index]
            guard let twin = twinOfName[job.name] else {
                retry.append(index)
                continue
            }
            guard twin != job.id else {
                // Its own id holds the name: another process stored this very job meanwhile.
                try await refuse(stored, index: index, error: nil, operation: operation)
            }
            var skip = job
            skip.status = .skipped
            skip.endedAt = job.createdAt
            skip.output = JobOutput(skipMetadata: SkipMetadata(
                reason: SkipMetadata.exclusiveConflict, conflictingJobId: twin, skippedAt: job.createdAt))
            skipped.append((index, skip))
        }
        let documents = skipped.map { JobDocument.encode($0.job, exclusiveKeyField: false) }
        let refused = try await onJobs(operation) { collection throws(MongoError) in try collection.insertEach(documents) }
        for (position, entry) in skipped.enumerated() {
            if let error = refused[position] {
                try await refuse(stored, index: entry.index, error: error, operation: operation)
            }
            stored[entry.index] = try JobDocument.asStored(entry.job)
        }
        return retry
    }

    /// The active exclusive jobs of `names`, as the unique index in effect sees them.
    private func exclusiveTwinsFilter(_ names: [String]) -> BSONDocument {
        let names: BSON = ["$in": Self.strings(names)]
        return usesExclusiveKey
            ? [JobDocument.exclusiveKey: names]
            : MongoIndexes.exclusiveFilter.merging(["name": names])
    }

    /// Withdraws what the batch stored, then throws the refusal of the job at `index`: a
    /// duplicate key is a stored id (another process stored it after the check), anything else
    /// the server's reason.
    private func refuse(_ stored: [Job?], index: Int, error: MongoError?, operation: String) async throws(JobStoreError) -> Never {
        try await withdraw(stored, operation: operation)
        guard let error, error.code != .duplicateKey else { throw JobBatch.idStored(at: index, of: stored.count) }
        var refusal = JobStoreError(error, operation: operation)
        refusal.jobIndex = index
        throw refusal
    }

    /// Deletes the jobs of `stored` that are still as this call stored them (same status and
    /// `updated_at`): one `delete`, none when nothing was stored.
    private func withdraw(_ stored: [Job?], operation: String) async throws(JobStoreError) {
        let unchanged: [BSON] = stored.compactMap { job in
            job.map { ["_id": .objectId($0.id), "status": .string($0.status.rawValue), "updated_at": .date($0.updatedAt)] }
        }
        guard !unchanged.isEmpty else { return }
        let filter: BSONDocument = ["$or": .array(unchanged)]
        try await onJobs(operation) { collection throws(MongoError) in _ = try collection.deleteMany(filter) }
    }
}
