import Foundation
import BSON

/// A stored job or cron task: what handlers receive and what the stores keep (SPEC §5).
///
/// Field names follow the seed's MongoDB schema (`scheduled_for`, `worker_id`, ...), mapped to
/// Swift names here. Values are snapshots: the store holds the truth.
public struct Job: Sendable, Hashable, Identifiable {
    /// The instants a job's dates may take: years 1 to 9999 (UTC), as MongoDB stores dates and
    /// every store and the event loop can hold them.
    public static let storableDates = Date(timeIntervalSince1970: -62_135_596_800)
        ... Date(timeIntervalSince1970: 253_402_300_799.999)

    /// The document's `_id`, unique across jobs, crons and cron tasks (a cron task's is derived
    /// from its cron and tick: ``ObjectId/init(cronTick:due:)``).
    public var id: ObjectId
    /// The job definition's name (a key of ``QueueConfiguration/jobs``, or a cron's name).
    public var name: String
    /// What the document is (`type`): a one-off job, a cron's own document, or a cron task.
    public var type: JobType
    /// Where it is in its life (`status`). A cron's own document stores `"active"`, read here as
    /// `pending`.
    public var status: JobStatus
    /// The application's data for the run (`payload`), a BSON/JSON object; nil when none was
    /// given.
    public var payload: BSONDocument?
    /// Result, error, duration and skip details (`output`), once the job has ended (or been
    /// skipped).
    public var output: JobOutput?
    /// When the job is due (`scheduled_for`); for a cron's own document, its next tick.
    public var scheduledFor: Date
    /// When a worker first started it (`started_at`; kept when a paused job resumes).
    public var startedAt: Date?
    /// When it ended (`ended_at`): set with a terminal status, nil while it may still run.
    /// Retention deletes jobs ended longer ago than ``QueueConfiguration/retention``.
    public var endedAt: Date?
    /// When it was last written (`updated_at`); crash recovery finds orphaned running jobs by it.
    public var updatedAt: Date
    /// When it was stored (`created_at`); status views list the newest first by it.
    public var createdAt: Date
    /// The worker running it (`worker_id`), while `running`; nil otherwise.
    public var workerId: ObjectId?
    /// Whether it was added to run inline in the calling process (`sync`).
    public var sync: Bool
    /// For a cron's own document (`type: cron`): its expression. Jobs and cron tasks have none
    /// (the Node version's schema forbids `cron_string` on them).
    public var cronString: String?
    /// Whether jobs of its name may run side by side (`concurrency.mode`); the store refuses a
    /// second active `exclusive` job of one name by storing it `skipped`.
    public var concurrency: ConcurrencyMode
    /// The trace context of the task that scheduled the job (W3C `traceparent` and the like, as
    /// the bootstrapped tracer writes them), so that the run's span links to the span that
    /// scheduled it; nil when no tracer ran there. A store whose schema cannot hold it (a
    /// database shared with the Node version) drops it, never the job.
    public var traceContext: [String: String]?

    /// Which due job a worker claims first (`priority`; default 0): the highest priority, then
    /// the earliest `scheduled_for`. Never negative (``priorities``). Stored only when above 0,
    /// so that a job of the default priority has the Node version's shape.
    public var priority: Int

    /// When a job not started by then is no longer wanted (`expires_at`; nil: never): a claim
    /// that meets it due after this instant ends it `skipped` (``SkipMetadata/expired``)
    /// instead of running it. A job that has started (running, paused, or back to pending for a
    /// retry) is not affected. Stored only when set.
    public var expiresAt: Date? {
        get { options?.value.expiresAt }
        set { setOption { $0.expiresAt = newValue } }
    }
    /// A key that at most one active (`pending`, `running` or `paused`) job holds at a time
    /// (`unique_key`; nil: none): storing a job whose key an active job holds returns that job
    /// instead, decided by the database (a partial unique index), so it holds across
    /// processes. Stored only when set.
    public var uniqueKey: String? {
        get { options?.value.uniqueKey }
        set { setOption { $0.uniqueKey = newValue } }
    }
    /// How many attempts of the job have failed (`attempts`; 0 until one does): runs that
    /// threw, exceeded their maximum runtime, or whose worker crashed (``RetryPolicy``). A job
    /// that finished after two failures has 2. Stored only when above 0.
    public var attempts: Int {
        get { options?.value.attempts ?? 0 }
        set { setOption { $0.attempts = newValue } }
    }
    /// The attempts this job has in all, overriding its definition's ``RetryPolicy/maxAttempts``
    /// (`max_attempts`; nil: the definition's). Stored only when set.
    public var maxAttempts: Int? {
        get { options?.value.maxAttempts }
        set { setOption { $0.maxAttempts = newValue } }
    }
    /// The errors of the last failed attempts, oldest first, at most ``keptAttemptErrors``
    /// (`attempt_errors`). Stored only when there are some.
    public var attemptErrors: [AttemptError] {
        get { options?.value.attemptErrors ?? [] }
        set { setOption { $0.attemptErrors = newValue } }
    }

    /// How many attempt errors a job keeps: the last ones, so that a job retried many times
    /// keeps a bounded document.
    public static let keptAttemptErrors = 5

    /// The priorities a job may have: 0 (the default, the lowest) to 1,000,000. Not below 0, so
    /// that a document without the field (written by the Node version, or with the default)
    /// sorts with the lowest priority in every store.
    public static let priorities = 0...1_000_000

    /// A new pending job as the application creates it.
    public init(
        id: ObjectId = ObjectId(), name: String, type: JobType = .simple, status: JobStatus = .pending,
        payload: BSONDocument? = nil, output: JobOutput? = nil, scheduledFor: Date, startedAt: Date? = nil,
        endedAt: Date? = nil, updatedAt: Date, createdAt: Date, workerId: ObjectId? = nil, sync: Bool = false,
        cronString: String? = nil, concurrency: ConcurrencyMode = .concurrent, traceContext: [String: String]? = nil,
        priority: Int = 0, expiresAt: Date? = nil, uniqueKey: String? = nil, attempts: Int = 0, maxAttempts: Int? = nil,
        attemptErrors: [AttemptError] = []
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.status = status
        self.payload = payload
        self.output = output
        self.scheduledFor = scheduledFor
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.updatedAt = updatedAt
        self.createdAt = createdAt
        self.workerId = workerId
        self.sync = sync
        self.cronString = cronString
        self.concurrency = concurrency
        self.traceContext = traceContext
        self.priority = priority
        let extra = Options(
            expiresAt: expiresAt, uniqueKey: uniqueKey, attempts: attempts, maxAttempts: maxAttempts,
            attemptErrors: attemptErrors)
        options = extra == Options() ? nil : OptionsBox(extra)
    }

    /// The options most jobs do not use (expiry, unique key, attempts), kept out of line so
    /// that a job that uses none is no larger to copy than before they existed: nil then.
    private var options: OptionsBox?

    /// Changes the out-of-line options (a new box: boxes are immutable, so copies of a job
    /// never share a change).
    private mutating func setOption(_ change: (inout Options) -> Void) {
        var value = options?.value ?? Options()
        change(&value)
        options = value == Options() ? nil : OptionsBox(value)
    }

    private struct Options: Hashable, Sendable {
        var expiresAt: Date?
        var uniqueKey: String?
        var attempts = 0
        var maxAttempts: Int?
        var attemptErrors: [AttemptError] = []
    }

    /// Immutable, so that sharing one between copies of a job is safe.
    private final class OptionsBox: Hashable, Sendable {
        let value: Options
        init(_ value: Options) { self.value = value }
        static func == (lhs: OptionsBox, rhs: OptionsBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }
}

extension Job {
    /// Whether a claim at `now` must skip the job rather than run it: pending, never started,
    /// and past its ``expiresAt``.
    package func isExpired(at now: Date) -> Bool {
        guard let expiresAt, status == .pending, startedAt == nil else { return false }
        return expiresAt <= now
    }

    /// The job ended `skipped` as expired at `now`, as a claim records it.
    package func skippedAsExpired(at now: Date) -> Job {
        var skipped = self
        skipped.status = .skipped
        skipped.endedAt = now
        skipped.updatedAt = now
        skipped.workerId = nil
        skipped.output = JobOutput(skipMetadata: .expiry(at: now))
        return skipped
    }
}

/// What a job's run produced (SPEC §4, "Ending").
public struct JobOutput: Sendable, Hashable {
    /// The run's duration, human readable ("1.2s", "3m 4s").
    public var duration: String?
    /// What the handler returned, for `finished` jobs.
    public var result: BSON?
    /// The error message and its cause chain, trimmed, for `errored` (and `killed`) jobs.
    public var error: String?
    /// Why the job was `skipped`.
    public var skipMetadata: SkipMetadata?

    /// An output from its parts, each nil where it does not apply (a finished job has no error,
    /// a skipped one no duration).
    public init(duration: String? = nil, result: BSON? = nil, error: String? = nil, skipMetadata: SkipMetadata? = nil) {
        self.duration = duration
        self.result = result
        self.error = error
        self.skipMetadata = skipMetadata
    }
}

/// Why a job was stored `skipped`: an exclusive twin was active when it was created.
public struct SkipMetadata: Sendable, Hashable {
    /// The reason of a job skipped because an exclusive job of its name was active, as the Node
    /// version's schema spells it (its only other reason is `other`).
    public static let exclusiveConflict = "noConcurrent_conflict"
    /// The reason of a job skipped because it was not started before its
    /// ``Job/expiresAt`` (ours: the Node version's schema has no such reason, and a database
    /// with its validator cannot hold `expires_at` at all).
    public static let expired = "expired"

    /// Why: ``exclusiveConflict``, or `other`.
    public var reason: String
    /// The active job of the same name that made the store skip this one
    /// (`conflicting_job_id`); nil when the stored document names none.
    public var conflictingJobId: ObjectId?
    /// When the job was skipped (`skipped_at`): its creation time, as the stores record it.
    public var skippedAt: Date

    /// An expired job's skip details, as a claim records them at `now`.
    public static func expiry(at now: Date) -> SkipMetadata {
        SkipMetadata(reason: expired, conflictingJobId: nil, skippedAt: now)
    }

    /// Skip details as a store records them when an insert meets an active exclusive twin.
    public init(reason: String, conflictingJobId: ObjectId?, skippedAt: Date) {
        self.reason = reason
        self.conflictingJobId = conflictingJobId
        self.skippedAt = skippedAt
    }
}
