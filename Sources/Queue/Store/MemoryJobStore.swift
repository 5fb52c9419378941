import Foundation
import Synchronization
import BSON

/// A ``JobStore`` in this process's memory: for unit tests of handlers and of the processor.
///
/// Same semantics as the MongoDB store (it passes the same conformance suite); state is lost
/// when the process ends, and it is not shared between processes. Every operation holds one
/// lock for its whole length, which is what makes each transition atomic.
///
/// Claiming is O(k) for k declared names when jobs become due in the order they were created
/// (O(k log n) otherwise): each name keeps a ``ClaimQueue`` of its claimable jobs by
/// (`scheduled_for`, id, slot in the ``MemoryJobTable``), whose entries are checked against the
/// job on pop and dropped when stale, the same cancel-by-marking the event loop uses for timers.
public final class MemoryJobStore: JobStore {
    private let state = Mutex(State())

    /// An empty store.
    public init() {}

    public func prepare() async throws(JobStoreError) {}

    /// - Throws: ``JobStoreError`` with code `invalidJob` when a job with this id is stored.
    public func insert(_ job: Job) async throws(JobStoreError) -> Job {
        guard let stored = state.withLock({ $0.store(job) }) else {
            throw JobStoreError(.invalidJob, operation: "insert job \(job.id)", reason: "a job with this id is already stored")
        }
        return stored
    }

    /// Under one lock: the ids are checked first (stored, or given twice), then each job is
    /// stored as ``insert(_:)`` stores it. O(n) for n jobs, plus the exclusive jobs' search for
    /// a twin (O(stored jobs) each).
    /// - Throws: ``JobStoreError`` with code `invalidJob` and the job's index when its id is
    ///   stored or given twice; nothing is stored then.
    public func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job] {
        guard !jobs.isEmpty else { return [] }
        if let repeated = JobBatch.repeatedId(in: jobs) { throw repeated }
        return try state.withLock { state throws(JobStoreError) in
            if let index = jobs.firstIndex(where: { state.jobs[$0.id] != nil }) {
                throw JobBatch.idStored(at: index, of: jobs.count)
            }
            return jobs.map { job in state.store(job)! }  // every id was found free above
        }
    }

    public func job(id: ObjectId) async throws(JobStoreError) -> Job? {
        state.withLock { $0.jobs[id] }
    }

    public func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] {
        state.withLock { state in
            let matching = state.jobs.all.filter(query.admits)
            let sorted = query.newestFirst
                ? matching.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
                : matching.sorted { ($0.scheduledFor, $0.id) < ($1.scheduledFor, $1.id) }
            return Array(sorted.prefix(max(0, query.limit)))
        }
    }

    /// A scan of every job: this store is for tests, where jobs are few.
    public func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] {
        state.withLock { state in
            var counts: [JobStatus: Int] = [:]
            for job in state.jobs.all where job.type != .cron { counts[job.status, default: 0] += 1 }
            return counts.mapValues { min($0, max(0, limit)) }
        }
    }

    /// A scan of every job: this store is for tests, where jobs are few.
    public func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        let endings = state.withLock { state in
            state.jobs.all.compactMap { job in
                job.type != .cron ? job.endedAt.flatMap { $0 >= since ? (endedAt: $0, status: job.status) : nil } : nil
            }
        }
        return EndingsInMinute.count(endings.sorted { $0.endedAt > $1.endedAt }.prefix(max(0, limit)))
    }

    public func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        state.withLock { state in
            let running = state.jobs.all.filter { job in
                guard job.status == .running else { return false }
                switch selection {
                case .ownedBy(let workerId): return job.workerId == workerId
                case .orphaned(let live, let cutoff):
                    return job.updatedAt < cutoff && !(job.workerId.map(live.contains) ?? false)
                }
            }
            return running.sorted { ($0.updatedAt, $0.id) < ($1.updatedAt, $1.id) }.prefix(max(0, limit)).map { job in
                RunningJobReference(id: job.id, name: job.name, workerId: job.workerId, updatedAt: job.updatedAt, sync: job.sync)
            }
        }
    }

    public func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        state.withLock { $0.claim(scope, now: now) }
    }

    /// Up to `limit` claims under one lock.
    public func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        state.withLock { $0.claim(scope, now: now, limit: limit) }
    }

    public func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? {
        state.withLock { $0.nextDue(in: scope.names) }
    }

    public func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        state.withLock { $0.finish(FinishRequest(id, by: workerId, as: status, output: output, at: now, resumeAt: resumeAt)) }
    }

    /// Every ending under one lock.
    public func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        state.withLock { state in requests.map { .success(state.finish($0)) } }
    }

    /// The endings, then the claims, under one lock.
    public func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>) {
        state.withLock { state in
            let recorded = endings.map { Result<Job?, JobStoreError>.success(state.finish($0)) }
            return (recorded, .success(state.claim(scope, now: now, limit: limit)))
        }
    }

    public func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome {
        state.withLock { state in
            guard var job = state.jobs[id] else { return .notFound }
            switch job.status {
            case .pending, .paused:
                job.status = .killed
                job.endedAt = now
                job.updatedAt = now
                job.workerId = nil
                state.put(job)
                return .killed(job)
            case .running:
                guard let workerId = job.workerId else { return .alreadyEnded(job.status) }
                state.signals.append(SignalRecord(kind: .kill, jobId: id, workerId: workerId, createdAt: now))
                return .signalled(workerId: workerId)
            case .finished, .errored, .killed, .skipped:
                return .alreadyEnded(job.status)
            }
        }
    }

    public func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        state.withLock { state in
            let names = Set(declared.map(\.name))
            for cron in declared where state.crons[cron.name]?.cronString != cron.cronString {
                state.crons[cron.name] = cron
            }
            for name in state.crons.keys where !names.contains(name) {
                state.crons[name] = nil
                let dropped = state.jobs.all.filter { $0.name == name && $0.type == .cronTask && $0.status == .pending }
                for job in dropped { state.jobs.remove(job.id) }
            }
            return state.crons.values.sorted { $0.name < $1.name }
        }
    }

    /// Under one lock: the compare-and-set of the cron's due time, then the tick's task, found
    /// (an earlier attempt stored it) or, when the cron moved, stored.
    public func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        let task = CronTick.task(task, of: name, due: due)
        return state.withLock { state in
            let moved = state.crons[name]?.scheduledFor == due
            if moved { state.crons[name]?.scheduledFor = next }
            if let stored = state.jobs[task.id] { return CronTick.owns(stored, attempt: task, movedCron: moved) ? stored : nil }
            return moved ? state.store(task) : nil
        }
    }

    public func crons() async throws(JobStoreError) -> [CronRecord] {
        state.withLock { $0.crons.values.sorted { $0.name < $1.name } }
    }

    public func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        state.withLock { state in
            guard let worker = state.workers[workerId], worker.lastSeen < seenBefore else { return false }
            state.workers[workerId] = nil
            return true
        }
    }

    public func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int {
        state.withLock { state in
            guard let earliestEnd = state.earliestEnd, earliestEnd < cutoff else {
                state.signals.removeAll { $0.acknowledged && $0.createdAt < cutoff }
                return 0
            }
            let ended = state.jobs.all.filter { ($0.endedAt ?? .distantFuture) < cutoff }.map(\.id)
            for id in ended { state.jobs.remove(id) }
            state.earliestEnd = state.jobs.all.lazy.compactMap(\.endedAt).min()
            state.signals.removeAll { $0.acknowledged && $0.createdAt < cutoff }
            return ended.count
        }
    }

    public func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) {
        state.withLock { $0.workers[worker.id] = worker }
    }

    public func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        state.withLock { state in
            guard state.workers[workerId] != nil else { return false }
            state.workers[workerId]?.lastSeen = now
            return true
        }
    }

    public func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) {
        _ = state.withLock { $0.workers.removeValue(forKey: workerId) }
    }

    public func workers() async throws(JobStoreError) -> [WorkerRecord] {
        state.withLock { $0.workers.values.sorted { $0.id < $1.id } }
    }

    public func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        state.withLock { $0.signals.filter { $0.workerId == workerId && !$0.acknowledged } }
    }

    public func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) {
        state.withLock { state in
            if let index = state.signals.firstIndex(where: { $0.id == id }) { state.signals[index].acknowledged = true }
        }
    }
}
