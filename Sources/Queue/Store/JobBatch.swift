/// What every store refuses in a batch of new jobs (``JobStore/insert(many:)``), in the words
/// of one error, so that the stores refuse alike.
package enum JobBatch {
    /// The operation named in a batch's errors: `insert <count> jobs`.
    package static func operation(_ count: Int) -> String {
        "insert \(count) jobs"
    }

    /// The refusal of the job at `index` of a batch of `count` because a job with its id is
    /// stored: the reason ``JobStore/insert(_:)`` gives for one job.
    package static func idStored(at index: Int, of count: Int) -> JobStoreError {
        JobStoreError(.invalidJob, operation: operation(count), reason: "a job with this id is already stored", jobIndex: index)
    }

    /// The refusal of the first job of `jobs` whose id an earlier job of the batch has; nil when
    /// every id is given once. O(n).
    package static func repeatedId(in jobs: [Job]) -> JobStoreError? {
        var firstIndex: [ObjectId: Int] = [:]
        firstIndex.reserveCapacity(jobs.count)
        for (index, job) in jobs.enumerated() {
            if let first = firstIndex.updateValue(index, forKey: job.id) {
                return JobStoreError(
                    .invalidJob, operation: operation(jobs.count),
                    reason: "the job at index \(first) has the same id", jobIndex: index)
            }
        }
        return nil
    }
}
