import CoreMetrics
import Cron
import Foundation
import Logging
import Tracing
import BSON

/// Everything a processor needs, in one value: the seed's `initJobProcessor({ db, logger, jobs,
/// crons, workerTags })` plus this implementation's tuning.
public struct QueueConfiguration: Sendable {
    /// Where state lives (the seed's `db`): ``MongoJobStore`` in production.
    public var store: any JobStore
    /// Where the processor logs. Libraries never bootstrap swift-log; the application does.
    public var logger: Logger
    /// Job definitions by name.
    public var jobs: [String: JobDefinition]
    /// Cron definitions by name (names shared with no job).
    public var crons: [String: CronDefinition]
    /// The zone of crons that name none.
    public var defaultTimeZone = TimeZone(identifier: "UTC")!
    /// nil: this worker takes every job. Otherwise a non-empty list: it takes untagged jobs and
    /// jobs whose tag is listed. An empty list is a configuration error.
    public var workerTags: [String]?
    /// The most handlers this worker runs at once.
    public var concurrency: Int = 16
    /// The most CPU-bound handlers running at once on the Dispatch pool.
    public var cpuConcurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Polling for jobs created by other processes: the interval right after work was found,
    /// doubling while idle up to the upper bound (at most 1 s).
    public var pollInterval: ClosedRange<Duration> = .milliseconds(20) ... .seconds(1)
    /// How often the worker refreshes its `lastSeen` (and, on the first heartbeat at which
    /// another worker may be dead, looks for dead workers: about every
    /// `deadWorkerTimeout − heartbeatInterval`).
    public var heartbeatInterval: Duration = .seconds(2)
    /// A worker not seen for this long is dead (must exceed ``heartbeatInterval``). With the
    /// defaults, a crashed worker's jobs are recovered 8–12 s after the crash: 10 s after its
    /// last heartbeat, at the next heartbeat of a live worker.
    public var deadWorkerTimeout: Duration = .seconds(10)
    /// How long shutdown and kills wait for handlers to honour their signal before recording
    /// the job's final status and freeing its slot.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// How long ended jobs are kept: workers delete older ones every hour (MongoDB's TTL index
    /// also expires them, after ``MongoJobStore``'s own retention).
    public var retention: Duration = .seconds(90 * 24 * 3600)
    /// Where cron tasks report their start and end (e.g. ``SentryCronMonitor``); nil: no
    /// check-ins, no traffic.
    public var cronMonitor: (any CronMonitor)?
    /// Where the processor's metrics go (jobs scheduled, started, ended by status, run time,
    /// queue wait, cron lateness, jobs running, store round trips; see README "Metrics, tracing
    /// and the dashboard"). nil: swift-metrics' bootstrapped backend. With neither, nothing is
    /// measured: the worker reads no extra clock and makes no metric.
    public var metricsFactory: (any MetricsFactory)?
    /// Where the processor's spans go (one per run, linked to the span that scheduled the job,
    /// and one per store round trip). nil: the tracer bootstrapped with swift-distributed-tracing's
    /// `InstrumentationSystem`, if any.
    public var tracer: (any Tracer)?
    /// The metrics and spans the processor reports, set by ``instrument()``: nil when neither a
    /// metrics backend nor a tracer is there.
    var instrumentation: QueueInstrumentation?
    /// Whether the processor's event loop turns SIGTERM and SIGINT into a graceful shutdown.
    /// Leave false when a swift-service-lifecycle `ServiceGroup` handles signals.
    public var handlesTerminationSignals = false
    /// The longest an ending waits for other handlers' endings before it is written (see
    /// ``EndingGather``). Not public: 1 ms is the product's choice; tests widen it to prove the
    /// grouping on a loaded machine.
    var endingWaitLimit = EndingGather.defaultLongestWait

    /// The seed's options; every other setting starts at its default. Nothing is checked here:
    /// ``JobProcessor/init(_:)`` validates the whole configuration (tags, intervals, cron
    /// expressions).
    public init(
        store: any JobStore, logger: Logger, jobs: [String: JobDefinition], crons: [String: CronDefinition] = [:],
        workerTags: [String]? = nil
    ) {
        self.store = store
        self.logger = logger
        self.jobs = jobs
        self.crons = crons
        self.workerTags = workerTags
    }

    /// Switches to the Node version's defaults where ours differ, for a fleet that shares its
    /// database with Node workers or moves from them (README, "Moving from the Node version"):
    /// crons without a zone run in Europe/Paris; a worker beats every 30 s and is dead after
    /// 5 minutes without a beat (with our 10 s, Node workers, which beat every 30 s, would be
    /// declared dead and their jobs taken over).
    public mutating func useNodeVersionDefaults() {
        defaultTimeZone = TimeZone(identifier: "Europe/Paris")!
        heartbeatInterval = .seconds(30)
        deadWorkerTimeout = .seconds(300)
    }

    /// Sets ``instrumentation`` from ``metricsFactory`` and ``tracer`` (or the bootstrapped
    /// ones), and wraps ``store`` to measure its round trips; leaves both alone when nothing
    /// would be reported. Called once, by the processor's initialiser.
    mutating func instrument() {
        guard let instrumentation = QueueInstrumentation.make(metricsFactory: metricsFactory, tracer: tracer, names: definitions.keys)
        else { return }
        self.instrumentation = instrumentation
        store = InstrumentedJobStore(store, instrumentation: instrumentation)
    }

    /// Checks the configuration; called by the processor before it starts.
    func validate() throws(QueueError) {
        if let workerTags, workerTags.isEmpty {
            throw QueueError(.invalidConfiguration, "workerTags is empty: pass nil to take every job, or at least one tag")
        }
        if concurrency < 1 { throw QueueError(.invalidConfiguration, "concurrency is \(concurrency): it must be at least 1") }
        if cpuConcurrency < 1 { throw QueueError(.invalidConfiguration, "cpuConcurrency is \(cpuConcurrency): it must be at least 1") }
        if pollInterval.lowerBound <= .zero || pollInterval.upperBound > .seconds(1) {
            throw QueueError(.invalidConfiguration, "pollInterval \(pollInterval) must be within (0 s, 1 s]")
        }
        if retention <= .zero {
            throw QueueError(.invalidConfiguration, "retention (\(retention)) must be positive")
        }
        if heartbeatInterval <= .zero || deadWorkerTimeout <= heartbeatInterval {
            throw QueueError(.invalidConfiguration,
                             "deadWorkerTimeout (\(deadWorkerTimeout)) must exceed heartbeatInterval (\(heartbeatInterval))")
        }
        if jobs.keys.contains(where: \.isEmpty) || crons.keys.contains(where: \.isEmpty) {
            throw QueueError(.invalidConfiguration, "a job or cron definition has an empty name")
        }
        if let name = crons.keys.sorted().first(where: { jobs[$0] != nil }) {
            throw QueueError(.invalidConfiguration, "\"\(name)\" names both a job and a cron")
        }
        for (name, job) in jobs.sorted(by: { $0.key < $1.key }) {
            if let limit = job.maxRuntime, limit <= .zero {
                throw QueueError(.invalidConfiguration, "job \"\(name)\": maxRuntime is \(limit); it must be positive")
            }
            if let problem = job.retry.problem {
                throw QueueError(.invalidConfiguration, "job \"\(name)\": retry: \(problem)")
            }
            if !Job.priorities.contains(job.priority) {
                throw QueueError(.invalidConfiguration,
                                 "job \"\(name)\": priority is \(job.priority); it must be within \(Job.priorities)")
            }
        }
        for (name, cron) in crons {
            if let minutes = cron.maxRuntimeInMinutes, minutes < 1 {
                throw QueueError(.invalidConfiguration, "cron \"\(name)\": maxRuntimeInMinutes is \(minutes); it must be at least 1")
            }
        }
        _ = try scheduledCrons()
    }

    /// The crons with their parsed expressions and zones.
    /// - Throws: ``QueueError`` `invalidConfiguration` naming the cron and the parse error.
    func scheduledCrons() throws(QueueError) -> [ScheduledCron] {
        var result: [ScheduledCron] = []
        for (name, definition) in crons.sorted(by: { $0.key < $1.key }) {
            do {
                let expression = try CronExpression(definition.cronString)
                result.append(ScheduledCron(
                    name: name, definition: definition, expression: expression,
                    timeZone: definition.timeZone ?? defaultTimeZone))
            } catch {
                throw QueueError(.invalidConfiguration, "cron \"\(name)\": \(error)")
            }
        }
        return result
    }

    /// Every definition a worker may run: the jobs, and the crons' tasks.
    var definitions: [String: JobDefinition] {
        jobs.merging(crons.mapValues(\.taskDefinition)) { job, _ in job }
    }

    /// The names this worker may claim: declared here, with a tag its worker tags allow.
    var claimableNames: [String] {
        definitions.filter { _, definition in
            guard let tag = definition.tag else { return true }
            return workerTags?.contains(tag) ?? true
        }.keys.sorted()
    }
}
