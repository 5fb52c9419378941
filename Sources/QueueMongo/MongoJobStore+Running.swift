import Foundation
import BSON
import Queue

/// Running jobs for crash recovery: one `find` projected on the fields recovery reads, so that a
/// job's payload or output, whatever it holds, is neither sent nor read.
extension MongoJobStore {
    /// One `find` of running jobs, least recently updated first, projected on `_id`, `name`,
    /// `worker_id`, `updated_at` and `sync`; each field read on its own
    /// (``RunningJobReference``).
    public func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        guard limit > 0 else { return [] }
        var filter: BSONDocument = ["status": .string(JobStatus.running.rawValue)]
        switch selection {
        case .ownedBy(let workerId):
            filter["worker_id"] = .objectId(workerId)
        case .orphaned(let live, let cutoff):
            filter["worker_id"] = ["$nin": .array(live.map { .objectId($0) })]
            filter["$or"] = [
                ["updated_at": ["$lt": .date(cutoff)]],
                ["updated_at": ["$not": ["$type": "date"]]],
            ]
        }
        let projection: BSONDocument = ["_id": 1, "name": 1, "worker_id": 1, "updated_at": 1, "sync": 1]
        let documents = try await onJobs("find running jobs", retryingReads: true) { [filter] jobs throws(MongoError) in
            try jobs.find(filter, sort: ["updated_at": 1, "_id": 1], limit: limit, projection: projection)
        }
        return documents.compactMap(RunningJobReference.init(document:))
    }
}

extension RunningJobReference {
    /// The reference read from a (projected) job document; nil without an ObjectId `_id`.
    init?(document: BSONDocument) {
        guard let id = document["_id"]?.objectIdValue else { return nil }
        self.init(
            id: id, name: document["name"]?.stringValue, workerId: document["worker_id"]?.objectIdValue,
            updatedAt: document["updated_at"]?.dateValue, sync: document["sync"]?.boolValue ?? false)
    }
}
