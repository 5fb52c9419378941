import BSON
import CoreMetrics
import Foundation
import Logging
import Tracing

/// Schedules, kills and reads jobs from any process: what a web request handler or a command
/// line needs, with a store and no handlers. Jobs run on workers (``JobProcessor``) wherever
/// they are.
///
/// ```swift
/// let client = JobClient(store: store, logger: logger)
/// try await client.schedule("send-mail", payload: ["to": "a@example.com"])
/// ```
///
/// A client knows no definitions, so it cannot refuse an unknown name or look up a name's
/// concurrency: `schedule` takes the mode, `exclusive` jobs being the ones a definition
/// declares exclusive (the typed `schedule` takes it too). ``JobProcessor`` schedules
/// through a client that knows its definitions.
public final class JobClient: Sendable {
    /// Where jobs are kept.
    public let store: any JobStore
    let logger: Logger
    /// The job definitions of the process, when the client belongs to a ``JobProcessor``: names
    /// are checked against them and modes taken from them.
    let definitions: [String: JobDefinition]?
    /// The `onJobExited` of each job and cron name the process defines: a kill of a pending or
    /// paused job calls it here.
    let exitHandlers: [String: JobDefinition.ExitHandler]
    /// Told the due time of each job scheduled here, so that a worker in this process wakes at
    /// once instead of at its next poll.
    let onScheduled: (@Sendable (Date) -> Void)?

    /// Counts and traces what the client stores, and gives each job the trace context of the
    /// task that schedules it; nil without a metrics backend or a tracer.
    let instrumentation: QueueInstrumentation?

    /// A client over `store`, which must be prepared (a worker's ``JobProcessor/run()`` does
    /// it, as does the command line).
    /// - Parameters:
    ///   - metricsFactory: where the client's metrics go (jobs scheduled, store round trips);
    ///     nil: swift-metrics' bootstrapped backend, if any.
    ///   - tracer: where its spans go, and whose trace context each scheduled job carries to
    ///     its run; nil: the bootstrapped tracer, if any.
    public convenience init(
        store: any JobStore, logger: Logger, metricsFactory: (any MetricsFactory)? = nil, tracer: (any Tracer)? = nil
    ) {
        let instrumentation = QueueInstrumentation.make(metricsFactory: metricsFactory, tracer: tracer, names: [])
        self.init(
            store: instrumentation.map { InstrumentedJobStore(store, instrumentation: $0) } ?? store, logger: logger,
            definitions: nil, exitHandlers: [:], onScheduled: nil, instrumentation: instrumentation)
    }

    /// A client over `store` as given (a processor's, already instrumented when
    /// `instrumentation` is not nil).
    init(
        store: any JobStore, logger: Logger, definitions: [String: JobDefinition]?,
        exitHandlers: [String: JobDefinition.ExitHandler], onScheduled: (@Sendable (Date) -> Void)?,
        instrumentation: QueueInstrumentation?
    ) {
        self.store = store
        self.logger = logger
        self.definitions = definitions
        self.exitHandlers = exitHandlers
        self.onScheduled = onScheduled
        self.instrumentation = instrumentation
    }

    /// The largest payload stored: MongoDB's 16 MiB document limit, less room for the job's
    /// own fields.
    public static let maxPayloadBytes = 16 * 1024 * 1024 - 64 * 1024

    /// Stores a job to run on some worker, now or at `date`.
    /// - Parameter concurrency: the job's mode when this client knows no definitions (it must
    ///   be the mode the job's definition declares); a processor's client takes the
    ///   definition's.
    /// - Parameter priority: the job's ``Job/priority`` (within ``Job/priorities``); nil: its
    ///   definition's when this client belongs to a processor, 0 otherwise.
    /// - Parameter expiresAt: when the job, if not started by then, is skipped instead of run
    ///   (``Job/expiresAt``); nil: never.
    /// - Parameter uniqueKey: while an active job (pending, running or paused) holds this key,
    ///   nothing is stored and that job is returned (``Job/uniqueKey``); nil: no key.
    /// - Parameter maxAttempts: the attempts this job has in all, overriding its definition's
    ///   retry policy (``Job/maxAttempts``, 1 to ``RetryPolicy/maxAttemptsLimit``); nil: the
    ///   definition's.
    /// - Returns: the stored job: `pending`, or `skipped` when its name is exclusive and a twin
    ///   is active; or the active job that holds `uniqueKey` (another id).
    /// - Throws: ``QueueError`` `unknownJob` for a name a processor's client has no definition
    ///   for, `invalidOption` for a priority out of range, `invalidPayload` for a payload MongoDB would refuse (over ``maxPayloadBytes`` or
    ///   nested past 99 levels), `invalidDate` outside years 1 to 9999, `store` when the store
    ///   fails. Nothing is stored then.
    @discardableResult
    public func schedule(
        _ name: String, payload: BSONDocument? = nil, at date: Date? = nil, concurrency: ConcurrencyMode = .concurrent,
        priority: Int? = nil, expiresAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil
    ) async throws(QueueError) -> Job {
        let job = try newJob(
            name, payload: payload, at: date, concurrency: concurrency, priority: priority, expiresAt: expiresAt,
            uniqueKey: uniqueKey, maxAttempts: maxAttempts)
        let stored: Job
        do { stored = try await store.insert(job) } catch { throw QueueError(error) }
        if stored.status == .pending { onScheduled?(stored.scheduledFor) }
        return stored
    }

    /// Kills a job from any process (SPEC §4 "Kill"): a pending or paused job becomes `killed`
    /// at once (and gets its `onJobExited` here, when this client belongs to a processor that
    /// defines it); a running one is signalled through the store to its worker, which records
    /// `killed` and calls `onJobExited`; an ended job is left as it is.
    @discardableResult
    public func kill(_ id: ObjectId) async throws(QueueError) -> KillOutcome {
        let outcome: KillOutcome
        do { outcome = try await store.kill(id, at: Date()) } catch { throw QueueError(error) }
        if case .killed(let job) = outcome, let onJobExited = exitHandlers[job.name] {
            do { try await onJobExited(job) } catch {
                logger.error("onJobExited failed", metadata: ["job": "\(job.id)", "error": "\(JobEnding.describe(error))"])
            }
        }
        return outcome
    }

    /// The job with this id, or nil.
    public func job(id: ObjectId) async throws(QueueError) -> Job? {
        do { return try await store.job(id: id) } catch { throw QueueError(error) }
    }

    /// Jobs matching `query` (bounded by its limit).
    public func jobs(matching query: JobQuery) async throws(QueueError) -> [Job] {
        do { return try await store.jobs(matching: query) } catch { throw QueueError(error) }
    }

    /// Whether the store answers a bounded read.
    public func health() async -> Bool {
        (try? await store.workers()) != nil
    }

    /// A validated, not yet stored job with its options, created at `now`: what
    /// ``schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)`` stores.
    func newJob(
        _ name: String, payload: BSONDocument?, at date: Date?, concurrency: ConcurrencyMode, priority: Int? = nil,
        expiresAt: Date? = nil, uniqueKey: String? = nil, maxAttempts: Int? = nil, now: Date = Date()
    ) throws(QueueError) -> Job {
        var mode = concurrency
        var rank = priority ?? 0
        if let definitions {
            guard let definition = definitions[name] else {
                let known = definitions.keys.sorted().joined(separator: ", ")
                throw QueueError(.unknownJob, "no job named \"\(name)\" is defined here (defined: \(known.isEmpty ? "none" : known))")
            }
            mode = definition.concurrency
            rank = priority ?? definition.priority
        }
        guard Job.priorities.contains(rank) else {
            throw QueueError(.invalidOption, "\"\(name)\": priority \(rank) is outside \(Job.priorities)")
        }
        if let payload {
            // MongoDB's limits (SPEC §7), less room for the job's own fields: the payload is one
            // level and a few hundred bytes inside the stored document.
            do { try payload.checkStorable(maxDepth: 99, maxBytes: Self.maxPayloadBytes) } catch {
                throw QueueError(.invalidPayload, "the payload of \"\(name)\" cannot be stored: \(error)")
            }
        }
        if let date, !Job.storableDates.contains(date) {
            throw QueueError(.invalidDate, "\"\(name)\" is due at \(date), outside years 1 to 9999, the dates a store holds")
        }
        var job = Job(
            name: name, payload: payload, scheduledFor: date ?? now, updatedAt: now, createdAt: now, concurrency: mode,
            traceContext: instrumentation?.currentTraceContext(), priority: rank)
        if let expiresAt {
            guard Job.storableDates.contains(expiresAt) else {
                throw QueueError(.invalidDate, "\"\(name)\" expires at \(expiresAt), outside years 1 to 9999, the dates a store holds")
            }
            job.expiresAt = expiresAt
        }
        job.uniqueKey = uniqueKey
        if let maxAttempts {
            guard (1...RetryPolicy.maxAttemptsLimit).contains(maxAttempts) else {
                throw QueueError(.invalidOption, "\"\(name)\": maxAttempts \(maxAttempts) is outside 1...\(RetryPolicy.maxAttemptsLimit)")
            }
            job.maxAttempts = maxAttempts
        }
        try JobOptionsCheck.check(job, on: store)
        return job
    }
}
