import BSON

/// Endings waiting for the store, in the order they were queued: each job's entry, and the
/// request that records its ending.
///
/// Two arrays rather than one of pairs, so that a batch's requests go to the store as they
/// are: picking them out of pairs would copy every request, each carrying its claimed job, on
/// the loop thread (perf/README.md has the profile).
struct QueuedEndings {
    /// The running jobs whose endings these are.
    private(set) var entries: [RunningJob] = []
    /// What to record for each of ``entries``, at the same index.
    private(set) var requests: [FinishRequest] = []

    var isEmpty: Bool { entries.isEmpty }

    /// Queues one ending.
    mutating func append(_ entry: RunningJob, _ request: FinishRequest) {
        entries.append(entry)
        requests.append(request)
    }

    /// Every queued ending, leaving none queued, with room for as many as were taken (the next
    /// batch is usually as large: growing from empty took five allocations per array).
    mutating func takeAll() -> QueuedEndings {
        let taken = self
        entries = []
        requests = []
        entries.reserveCapacity(taken.entries.count)
        requests.reserveCapacity(taken.entries.count)
        return taken
    }
}
