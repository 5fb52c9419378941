import Cron
import Foundation
import Queue

/// What the pages show, read from the store with bounded queries only: each read names an
/// index and a limit (``JobStore/countJobs(upTo:)``, ``JobStore/endingsPerMinute(since:limit:)``,
/// ``JobQuery`` with its limit), so that a page costs the same however many jobs the store holds.
struct DashboardReader: Sendable {
    let store: any JobStore
    let options: JobDashboard.Options

    /// The most running jobs the overview lists, newest first, across all workers.
    static let runningListed = 200
    /// The latest starts of each name that its queue wait is computed from.
    static let waitSamples = 100
    /// The most endings the chart counts (an hour of a very busy fleet: more leaves the earliest
    /// minutes short).
    static let chartEndings = 100_000
    /// The minutes the chart covers.
    static let chartMinutes = 60

    struct Worker: Sendable {
        var record: WorkerRecord
        var running: [Job]
    }

    struct QueueWait: Sendable {
        var name: String
        var p50: TimeInterval
        var p99: TimeInterval
        var samples: Int
    }

    /// A stored cron with what the application declares of it.
    struct Cron: Sendable {
        var record: CronRecord
        var definition: CronDefinition?
        var timeZone: TimeZone
        /// The next runs from now, at most five; empty when the expression does not parse.
        var next: [Date]
    }

    /// The figures that live pages refresh.
    struct Figures: Sendable {
        var now: Date
        var counts: [JobStatus: Int]
        var endings: [EndingsInMinute]
        var workers: Int
        var running: Int
    }

    struct Overview: Sendable {
        var figures: Figures
        var workers: [Worker]
        var waits: [QueueWait]
        var crons: [Cron]
    }

    func figures(now: Date = Date()) async throws -> Figures {
        async let counts = store.countJobs(upTo: options.countLimit)
        async let endings = store.endingsPerMinute(
            since: EndingsInMinute.minute(of: now).addingTimeInterval(-Double(Self.chartMinutes - 1) * 60),
            limit: Self.chartEndings)
        async let workers = store.workers()
        let (countsValue, endingsValue, workersValue) = try await (counts, endings, workers)
        return Figures(
            now: now, counts: countsValue, endings: endingsValue, workers: workersValue.count,
            running: countsValue[.running] ?? 0)
    }

    /// The overview's reads, side by side (the stores serve concurrent reads: SQLite's pool,
    /// MongoDB's connections).
    func overview() async throws -> Overview {
        let now = Date()
        async let figures = figures(now: now)
        async let runningJobs = store.jobs(matching: JobQuery(statuses: [.running], limit: Self.runningListed))
        async let records = store.workers()
        let crons = try await crons(now: now)
        let names = Set(options.jobNames + crons.map(\.record.name)).sorted()
        let waits = try await withThrowingTaskGroup(of: QueueWait?.self) { group in
            for name in names { group.addTask { try await queueWait(of: name) } }
            return try await group.reduce(into: [QueueWait]()) { if let wait = $1 { $0.append(wait) } }
        }.sorted { $0.name < $1.name }
        // One read for every worker's running jobs: a query per worker would cost a scan of the
        // running jobs each (no store indexes jobs by worker for this).
        let running = Dictionary(grouping: try await runningJobs, by: \.workerId)
        let workers = try await records.sorted { ($0.hostname, $0.id) < ($1.hostname, $1.id) }.map { record in
            Worker(record: record, running: running[record.id] ?? [])
        }
        return Overview(figures: try await figures, workers: workers, waits: waits, crons: crons)
    }

    /// p50 and p99 of start − `scheduled_for` over the latest started jobs of `name`.
    func queueWait(of name: String) async throws -> QueueWait? {
        let started = try await store.jobs(matching: JobQuery(
            names: [name], statuses: [.running, .finished, .errored, .killed, .paused], types: [.simple, .cronTask],
            limit: Self.waitSamples))
        let waits = started.compactMap { job in job.startedAt.map { max(0, $0.timeIntervalSince(job.scheduledFor)) } }.sorted()
        guard !waits.isEmpty else { return nil }
        func percentile(_ p: Double) -> TimeInterval { waits[min(waits.count - 1, max(0, Int((p * Double(waits.count)).rounded(.up)) - 1))] }
        return QueueWait(name: name, p50: percentile(0.5), p99: percentile(0.99), samples: waits.count)
    }

    func crons(now: Date = Date()) async throws -> [Cron] {
        try await store.crons().map { record in
            let definition = options.crons[record.name]
            let zone = definition?.timeZone ?? options.defaultTimeZone
            let next = (try? CronExpression(record.cronString)).map { $0.next(after: now, in: zone, count: 5) } ?? []
            return Cron(record: record, definition: definition, timeZone: zone, next: next)
        }
    }

    /// The latest tasks of cron `name`.
    func cronRuns(_ name: String, limit: Int = 10) async throws -> [Job] {
        try await store.jobs(matching: JobQuery(names: [name], types: [.cronTask], limit: limit))
    }
}
