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
    private struct Claimable: Comparable {
        var scheduledFor: Date
        var id: ObjectId
        /// Where the job is in ``State/jobs``: valid while the slot holds a job with this id.
        var slot: Int
        static func < (lhs: Claimable, rhs: Claimable) -> Bool { (lhs.scheduledFor, lhs.id) < (rhs.scheduledFor, rhs.id) }
        static func == (lhs: Claimable, rhs: Claimable) -> Bool { (lhs.scheduledFor, lhs.id) == (rhs.scheduledFor, rhs.id) }
    }

    private struct State {
        var jobs = MemoryJobTable()
        var workers: [ObjectId: WorkerRecord] = [:]
        var signals: [SignalRecord] = []
        var claimable: [String: ClaimQueue<Claimable>] = [:]
        /// The claimable jobs above the default priority, by name and priority (apart, so that
        /// jobs of the default priority, nearly all of them, claim as fast as without priorities).
        var prioritized: [String: [Int: ClaimQueue<Claimable>]] = [:]
        var crons: [String: CronRecord] = [:]
        /// No stored job ended before this (a lower bound: nil when none has ended), so that
        /// ``deleteEnded(before:)`` skips the scan when nothing is old enough.
        var earliestEnd: Date?

        /// Stores `job` under a new id, indexing it when it can be claimed; false, with nothing
        /// changed, when a job with this id is stored.
        mutating func insert(_ job: Job) -> Bool {
            guard let slot = jobs.insert(job) else { return false }
            indexed(job, at: slot)
            return true
        }

        /// Stores a new job as ``JobStore/insert(_:)`` does (`skipped`, and ended, when it is
        /// exclusive and its name has an active job) and returns it as stored; nil, with nothing
        /// changed, when a job with this id is stored.
        mutating func store(_ job: Job) -> Job? {
            if let key = job.uniqueKey, JobStatus.active.contains(job.status),
               let holder = jobs.all.first(where: { $0.uniqueKey == key && JobStatus.active.contains($0.status) && $0.id != job.id })
            {
                return holder
            }
            var stored = job
            if job.concurrency == .exclusive, JobStatus.active.contains(job.status),
               let twin = jobs.all.first(where: {
                   $0.name == job.name && $0.concurrency == .exclusive && JobStatus.active.contains($0.status)
               })
            {
                stored.status = .skipped
                stored.endedAt = job.createdAt
                stored.output = JobOutput(skipMetadata: SkipMetadata(
                    reason: SkipMetadata.exclusiveConflict,
                    conflictingJobId: twin.id, skippedAt: job.createdAt))
            }
            return insert(stored) ? stored : nil
        }

        /// Stores `job`, indexing it when it can be claimed.
        mutating func put(_ job: Job) {
            let slot = jobs.put(job)
            indexed(job, at: slot)
        }

        /// Adds the claim entry of a job that can be claimed, and notes its end.
        mutating func indexed(_ job: Job, at slot: Int) {
            if job.type != .cron, job.status == .pending || job.status == .paused {
                let entry = Claimable(scheduledFor: job.scheduledFor, id: job.id, slot: slot)
                if job.priority > 0 {
                    prioritized[job.name, default: [:]][job.priority, default: ClaimQueue()].insert(entry)
                } else {
                    claimable[job.name, default: ClaimQueue()].insert(entry)
                }
            }
            if let endedAt = job.endedAt, earliestEnd.map({ endedAt < $0 }) ?? true { earliestEnd = endedAt }
        }

        /// Where the earliest claimable job of one name is: its queue (a position in
        /// `claimable`) and the queue's first entry. The position is valid until `claimable`
        /// gains or loses a key.
        struct Earliest {
            var queue: Dictionary<String, ClaimQueue<Claimable>>.Index
            var entry: Claimable
        }

        /// The earliest claimable job of `name`, dropping stale entries on the way (the job's
        /// fields are read in its slot, the job is not copied).
        mutating func earliest(_ name: String) -> Earliest? {
            guard let queue = claimable.index(forKey: name) else { return nil }
            while let top = claimable.values[queue].min {
                if jobs.holds(top.id, at: top.slot), let status = jobs.status(at: top.slot),
                   status == .pending || status == .paused, jobs.scheduledFor(at: top.slot) == top.scheduledFor
                {
                    return Earliest(queue: queue, entry: top)
                }
                claimable.values[queue].popMin()
            }
            return nil
        }

        /// Whether `entry` still names a claimable job as it was indexed.
        func isCurrent(_ entry: Claimable) -> Bool {
            guard jobs.holds(entry.id, at: entry.slot), let status = jobs.status(at: entry.slot) else { return false }
            return (status == .pending || status == .paused) && jobs.scheduledFor(at: entry.slot) == entry.scheduledFor
        }

        /// The due job above the default priority that `names` claim first (the highest
        /// priority, then the earliest), popped from its queue; nil when none is due. Stale
        /// entries met on the way are dropped.
        mutating func popPrioritized(in names: [String], now: Date) -> Claimable? {
            guard !prioritized.isEmpty else { return nil }
            var best: (name: String, priority: Int, entry: Claimable)?
            for name in names {
                guard let levels = prioritized[name] else { continue }
                for priority in levels.keys {
                    if let best, priority < best.priority { continue }
                    while let top = prioritized[name]?[priority]?.min, !isCurrent(top) {
                        prioritized[name]?[priority]?.popMin()
                    }
                    guard let top = prioritized[name]?[priority]?.min, top.scheduledFor <= now else { continue }
                    if let current = best, priority == current.priority, !(top < current.entry) { continue }
                    best = (name, priority, top)
                }
            }
            guard let best else { return nil }
            prioritized[best.name]?[best.priority]?.popMin()
            if prioritized[best.name]?[best.priority]?.isEmpty == true { prioritized[best.name]?[best.priority] = nil }
            if prioritized[best.name]?.isEmpty == true { prioritized[best.name] = nil }
            return best.entry
        }

        /// The earliest `scheduled_for` among claimable jobs above the default priority.
        mutating func earliestPrioritized(in names: [String]) -> Date? {
            var earliest: Date?
            for name in names {
                for priority in prioritized[name]?.keys.map({ $0 }) ?? [] {
                    while let top = prioritized[name]?[priority]?.min, !isCurrent(top) {
                        prioritized[name]?[priority]?.popMin()
                    }
                    if let top = prioritized[name]?[priority]?.min, earliest.map({ top.scheduledFor < $0 }) ?? true {
                        earliest = top.scheduledFor
                    }
                }
            }
            return earliest
        }

        /// The earliest `scheduled_for` among claimable jobs in `names`, whatever their priority.
        mutating func nextDue(in names: [String]) -> Date? {
            let ordinary = earliest(in: names)?.entry.scheduledFor
            guard let other = earliestPrioritized(in: names) else { return ordinary }
            return ordinary.map { min($0, other) } ?? other
        }

        /// Claims the due job in `scope` with the highest priority, then the earliest: pops its
        /// entry and updates the job in place. Expired jobs met first are ended `skipped`.
        mutating func claim(_ scope: ClaimScope, now: Date) -> Job? {
            var entry: Claimable
            repeat {
                if let first = popPrioritized(in: scope.names, now: now) {
                    entry = first
                } else {
                    guard let earliest = earliest(in: scope.names), earliest.entry.scheduledFor <= now else { return nil }
                    claimable.values[earliest.queue].popMin()
                    entry = earliest.entry
                }
            } while skipIfExpired(entry, now: now)
            jobs.remember(entry.id, at: entry.slot)  // its ending will look it up
            return jobs.modify(slot: entry.slot) { job in
                job.status = .running
                job.workerId = scope.workerId
                job.startedAt = job.startedAt ?? now
                job.updatedAt = now
                return job
            }
        }

        /// Ends the job of a popped claim entry `skipped` when it has expired; returns whether it did.
        mutating func skipIfExpired(_ entry: Claimable, now: Date) -> Bool {
            // Read in place: copying the job for each claim would cost every claim a retain per field.
            guard jobs.hasExpiry(at: entry.slot), let job = jobs[slot: entry.slot], job.isExpired(at: now) else { return false }
            let skipped = job.skippedAsExpired(at: now)
            jobs.modify(slot: entry.slot) { $0 = skipped }
            indexed(skipped, at: entry.slot)
            return true
        }

        /// Up to `limit` claims, earliest first.
        mutating func claim(_ scope: ClaimScope, now: Date, limit: Int) -> [Job] {
            var claimed: [Job] = []
            claimed.reserveCapacity(min(limit, 64))
            while claimed.count < limit, let job = claim(scope, now: now) { claimed.append(job) }
            return claimed
        }

        /// Records an ending, guarded by the job running on the request's worker.
        mutating func finish(_ request: FinishRequest) -> Job? {
            guard let slot = jobs.slot(of: request.id) else { return nil }
            // The fields the change needs, taken out first: capturing the request in the
            // closure below copied all of it (the job it carries included).
            let (workerId, status, output, at, resumeAt) = (request.workerId, request.status, request.output, request.at, request.resumeAt)
            let failure = request.failure
            let job = jobs.modify(slot: slot) { (job: inout Job) -> Job? in
                guard job.status == .running, job.workerId == workerId else { return nil }
                job.status = status
                job.output = output
                job.updatedAt = at
                job.workerId = nil
                if status.isTerminal { job.endedAt = at }
                if let resumeAt { job.scheduledFor = resumeAt }
                if let failure {
                    job.attempts = failure.attempts
                    job.attemptErrors = failure.errors
                }
                return job
            }
            if let job { indexed(job, at: slot) }
            return job
        }

        /// The earliest claimable job among `names`.
        mutating func earliest(in names: [String]) -> Earliest? {
            var best: Earliest?
            for name in names {
                if let found = earliest(name), best.map({ found.entry < $0.entry }) ?? true { best = found }
            }
            return best
        }
    }

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
