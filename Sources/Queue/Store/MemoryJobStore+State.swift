import Foundation
import BSON

extension MemoryJobStore {
    /// A claimable job's entry in its name's ``ClaimQueue``.
    struct Claimable: Comparable {
        var scheduledFor: Date
        var id: ObjectId
        /// Where the job is in ``State/jobs``: valid while the slot holds a job with this id.
        var slot: Int
        static func < (lhs: Claimable, rhs: Claimable) -> Bool { (lhs.scheduledFor, lhs.id) < (rhs.scheduledFor, rhs.id) }
        static func == (lhs: Claimable, rhs: Claimable) -> Bool { (lhs.scheduledFor, lhs.id) == (rhs.scheduledFor, rhs.id) }
    }

    /// The store's jobs, workers, signals and crons, with the claim queues that index the
    /// claimable jobs: what ``MemoryJobStore`` holds under its one lock.
    struct State {
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
}
