import Foundation
import BSON
import Queue

/// Several endings recorded by one unordered `update` command (``MongoJobStore/finish(_:)``),
/// and how the command's outcome becomes one result per request, as single finishes would give.
///
/// Why the jobs need not be read back: every request carries its job as claimed, and while a
/// job runs nothing but its ending changes it (``FinishRequest/claimed``). So when the command
/// matched one document per applied statement, every ending was recorded and each result is
/// the claimed job with the ending applied. When it matched fewer (a job taken over by
/// dead-worker recovery, killed in the store, or not running on that worker), one `find` of
/// the batch's jobs tells which endings the stored documents show.
struct MongoFinishBatch {
    /// The endings, in the caller's order.
    let requests: [FinishRequest]
    /// Each request's job after its ending, as stored (``FinishRequest/applied(to:)`` with every
    /// date cut to milliseconds, those in `output` included).
    private let expected: [Job]

    /// The batch of `requests`, or nil when they cannot go in one command: fewer than two, one
    /// without its claimed job (its result needs the `findAndModify` read), or a job named twice.
    /// One after the other, the second ending of a job finds it ended and records nothing; in an
    /// unordered command the server would pick either, so such a batch is recorded in turn.
    /// Complexity: O(n) for n requests.
    init?(_ requests: [FinishRequest]) {
        guard requests.count > 1, Set(requests.map(\.id)).count == requests.count else { return nil }
        var expected: [Job] = []
        expected.reserveCapacity(requests.count)
        for request in requests {
            guard let claimed = request.claimed else { return nil }
            let applied = request.applied(to: claimed)
            // asStored fails only for a job BSON cannot hold, and this one came from the store.
            expected.append((try? JobDocument.asStored(applied)) ?? applied)
        }
        self.requests = requests
        self.expected = expected
    }

    /// What failures name: `finish N jobs`.
    var operation: String { "finish \(requests.count) jobs" }

    /// The jobs of the batch.
    var ids: [ObjectId] { requests.map(\.id) }

    /// Every request failed with `error` (the command failed: what it recorded is unknown).
    func failed(_ error: JobStoreError) -> [Result<Job?, JobStoreError>] {
        requests.map { _ in .failure(error) }
    }

    /// The results after `update`, when it tells them: every statement the server applied
    /// matched its job, so each recorded its ending. Nil when fewer matched: then the stored
    /// documents must tell (``results(after:stored:)``).
    func results(after update: MongoCollection.BatchUpdateResult) -> [Result<Job?, JobStoreError>]? {
        guard update.matched == requests.count - update.refused.count else { return nil }
        return requests.indices.map { index in
            if let error = update.refused[index] { return .failure(refusal(error, index)) }
            return .success(expected[index])
        }
    }

    /// The results after `update`, given the stored documents of the batch's jobs read after it:
    /// a request gets its job when the stored document shows its ending (status, `updated_at`
    /// and output as it set them, no worker), nil when it does not (the guard did not match).
    /// Complexity: O(n) for n requests.
    func results(
        after update: MongoCollection.BatchUpdateResult, stored documents: [BSONDocument]
    ) -> [Result<Job?, JobStoreError>] {
        var byId: [ObjectId: BSONDocument] = [:]
        for document in documents { if let id = document["_id"]?.objectIdValue { byId[id] = document } }
        return requests.indices.map { index in
            let request = requests[index]
            if let error = update.refused[index] { return .failure(refusal(error, index)) }
            guard let document = byId[request.id] else { return .success(nil) }
            do throws(JobStoreError) {
                let job = try JobDocument.decode(document, operation: "finish job \(request.id)")
                let ending = expected[index]
                let recorded = job.status == ending.status && job.updatedAt == ending.updatedAt
                    && job.output == ending.output && job.workerId == nil
                return .success(recorded ? job : nil)
            } catch {
                return .failure(error)
            }
        }
    }

    /// A statement the server refused, as the failure of its request alone.
    private func refusal(_ error: MongoError, _ index: Int) -> JobStoreError {
        JobStoreError(error, operation: "finish job \(requests[index].id)")
    }
}
