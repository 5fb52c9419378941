import BSON
import Foundation

/// What a fleet is doing, read from the store with bounded queries only (SPEC §3 "read the
/// processor status"; never by loading the whole collection).
public struct ProcessorStatus: Sendable {
    /// A worker and the jobs it runs (at most ``JobClient/statusLimit``).
    public struct WorkerStatus: Sendable {
        /// The worker's document: id, hostname, tags and last heartbeat.
        public var worker: WorkerRecord
        /// The jobs and cron tasks it runs (status `running`, its `worker_id`), newest first.
        public var running: [Job]
    }

    /// A cron, its next run and its latest tasks.
    public struct CronStatus: Sendable {
        /// The cron's document: its expression and next due time.
        public var cron: CronRecord
        /// Its latest tasks (at most 5), newest first, whatever their status.
        public var recentTasks: [Job]
    }

    /// Every registered worker (live, or dead and not yet taken over) with what it runs.
    public var workers: [WorkerStatus]
    /// The earliest pending jobs (the due queue), earliest first.
    public var queue: [Job]
    /// Every stored cron with its next run and latest tasks, by name.
    public var crons: [CronStatus]
    /// The latest jobs of each name asked for, newest first.
    public var recentJobsByName: [String: [Job]]
}

extension JobClient {
    /// How many jobs each part of ``status(jobNames:)`` lists at most.
    public static let statusLimit = 20

    /// Workers with what each runs, the due queue, crons with their next run and latest tasks,
    /// and the latest jobs of each of `jobNames`. One bounded query per part.
    public func status(jobNames: [String]) async throws(QueueError) -> ProcessorStatus {
        let limit = Self.statusLimit
        do {
            let workers = try await store.workers()
            var workerStatuses: [ProcessorStatus.WorkerStatus] = []
            for worker in workers {
                let running = try await store.jobs(matching: JobQuery(statuses: [.running], workerId: worker.id, limit: limit))
                workerStatuses.append(.init(worker: worker, running: running))
            }
            let queue = try await store.jobs(matching: JobQuery(
                statuses: [.pending, .paused], types: [.simple, .cronTask], limit: limit, newestFirst: false))
            var crons: [ProcessorStatus.CronStatus] = []
            for cron in try await store.crons() {
                let tasks = try await store.jobs(matching: JobQuery(names: [cron.name], types: [.cronTask], limit: 5))
                crons.append(.init(cron: cron, recentTasks: tasks))
            }
            var byName: [String: [Job]] = [:]
            for name in jobNames.sorted() {
                byName[name] = try await store.jobs(matching: JobQuery(names: [name], types: [.simple], limit: 5))
            }
            return ProcessorStatus(workers: workerStatuses, queue: queue, crons: crons, recentJobsByName: byName)
        } catch {
            throw QueueError(error)
        }
    }
}
