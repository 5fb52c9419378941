import Foundation
import BSON
import Queue

/// Several due jobs claimed by one `update` command after one `find` of them
/// (``MongoJobStore/claim(_:now:limit:)``), and how the command's outcome becomes the claimed
/// jobs, as consecutive single claims would return them.
///
/// Why the jobs need not be read back: the `update` sets running, by the single claim's
/// pipeline, each found document that still meets the single claim's conditions and still has
/// the `updated_at` it was found with. Every change of a job sets `updated_at`, so a document
/// the update matched is the one found: its job is the found document with the claim applied.
/// When the command matched some but not all (another worker claimed the others in between),
/// one `find` of the candidates running on this worker since this claim tells which are ours.
///
/// That read cannot tell two claims of one worker at the same `now` apart: a worker must not
/// run two claims at once (the scheduler has at most one in flight).
struct MongoClaimBatch {
    /// Who claims, and when.
    let scope: ClaimScope
    let now: Date
    /// The documents found, in claim order (earliest `scheduled_for` first).
    let candidates: [BSONDocument]

    /// The batch of `candidates`, or nil for fewer than two: one due job is claimed by the
    /// single `findAndModify` (see ``MongoJobStore/claim(_:now:limit:)``).
    init?(_ candidates: [BSONDocument], scope: ClaimScope, now: Date) {
        guard candidates.count > 1 else { return nil }
        self.candidates = candidates
        self.scope = scope
        self.now = now
    }

    /// What failures name: `claim N jobs`.
    var operation: String { "claim \(candidates.count) jobs" }

    /// The candidates' ids, as stored (read raw, so that an unreadable document is claimed and
    /// recorded `errored` like the others).
    private var ids: BSON { .array(candidates.compactMap { $0["_id"] }) }

    /// The `update`'s filter: the candidates that still meet the single claim's conditions and
    /// were not changed since the `find` (compare-and-set on each one's `updated_at`).
    var filter: BSONDocument {
        var filter = MongoJobStore.claimable(scope, now: now)
        filter["_id"] = ["$in": ids]
        filter["$or"] = .array(candidates.map { ["_id": $0["_id"] ?? .null, "updated_at": $0["updated_at"] ?? .null] })
        return filter
    }

    /// The `update`: the single claim's (``MongoJobStore/claimUpdate(by:at:)``).
    var update: BSON { MongoJobStore.claimUpdate(by: scope.workerId, at: now) }

    /// The filter of the `find` that tells which candidates this claim took: running on this
    /// worker and updated at this claim's `now`.
    var claimedFilter: BSONDocument {
        [
            "_id": ["$in": ids], "status": .string(JobStatus.running.rawValue),
            "worker_id": .objectId(scope.workerId), "updated_at": .date(now),
        ]
    }

    /// The candidates the `update` claimed when its count tells: every one when it matched them
    /// all, none when it matched none. Nil otherwise: a `find` must tell (``claimed(among:)``).
    func claimed(matched: Int) -> [BSONDocument]? {
        switch matched {
        case candidates.count: candidates
        case 0: []
        default: nil
        }
    }

    /// The candidates among `stored` (documents ``claimedFilter`` read), in claim order.
    /// Complexity: O(n) for n candidates.
    func claimed(among stored: [BSONDocument]) -> [BSONDocument] {
        let ours = Set(stored.compactMap { $0["_id"] })
        return candidates.filter { candidate in candidate["_id"].map(ours.contains) ?? false }
    }

    /// The job of a claimed candidate as a store reads it back after the claim: running on
    /// this worker, updated at `now`, started at `now` unless it had started (a resumed job),
    /// dates cut to milliseconds.
    /// - Throws: ``JobStoreError`` `invalidDocument` when the document cannot be read.
    func job(_ document: BSONDocument) throws(JobStoreError) -> Job {
        var job = try JobDocument.decode(document, operation: "claim")
        job.status = .running
        job.workerId = scope.workerId
        job.updatedAt = now
        job.startedAt = job.startedAt ?? now
        // asStored fails only for a job BSON cannot hold, and this one came from the store.
        return (try? JobDocument.asStored(job)) ?? job
    }
}
