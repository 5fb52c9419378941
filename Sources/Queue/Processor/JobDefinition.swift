import BSON

/// How to run the jobs of one name: the seed's `JobDef`, Swift-shaped.
///
/// ```swift
/// let sendMail = JobDefinition { job, signal in
///     try await mailer.send(job.payload?["to"]?.stringValue ?? "")
///     return ["sent": true]
/// }
/// ```
public struct JobDefinition: Sendable {
    /// An async handler: receives the stored job and its cancellation signal, returns the
    /// result stored in `output.result` (nil for none), throws to mark the job `errored`.
    public typealias Handler = @Sendable (Job, JobSignal) async throws -> BSON?
    /// A synchronous, CPU-bound handler, run on the processor's bounded Dispatch pool so that
    /// it never occupies Swift's cooperative threads.
    public typealias BlockingHandler = @Sendable (Job, JobSignal) throws -> BSON?
    /// Called once with the final stored job after the job ends for any reason (crashes
    /// included). Its failures are logged and never change the job.
    public typealias ExitHandler = @Sendable (Job) async throws -> Void

    package enum Body: Sendable {
        case async(Handler)
        case cpuBound(BlockingHandler)
    }

    package let body: Body
    /// Called when a job of this name has ended.
    public var onJobExited: ExitHandler?
    /// Whether an interrupted job is paused and resumed later (true) or errored (false).
    /// A resumable handler must tolerate starting again on a job it had begun.
    public var resumable: Bool
    /// Only workers with this tag run these jobs; nil: every worker.
    public var tag: String?
    /// `.exclusive`: at most one job of this name pending, running or paused at a time.
    public var concurrency: ConcurrencyMode
    /// The longest a run may last (default nil: no limit). Past it the job's signal fires with
    /// ``JobSignal/Reason/maxRuntimeExceeded``; a handler that returns or throws ends the job
    /// `errored` ("Max runtime exceeded"), or `paused` when it is resumable, resumed one maximum
    /// runtime later; one that ignores the signal is abandoned after the grace period. Enforced
    /// by a deadline in the worker's timer heap, like a cron's `maxRuntimeInMinutes`. Must be
    /// positive.
    public var maxRuntime: Duration?
    /// The priority of the jobs scheduled under this name when `schedule` gives none (default
    /// 0, the lowest; see ``Job/priority``): a worker claims due jobs of higher priority first.
    public var priority: Int
    /// How a failed job is tried again (default ``RetryPolicy/none``: a failure ends it
    /// `errored`). A job may give its own maximum of attempts (``Job/maxAttempts``).
    public var retry: RetryPolicy

    /// A job definition with an async handler (runs as a Swift task).
    public init(
        resumable: Bool = false, tag: String? = nil, concurrency: ConcurrencyMode = .concurrent,
        maxRuntime: Duration? = nil, priority: Int = 0, retry: RetryPolicy = .none, onJobExited: ExitHandler? = nil,
        handler: @escaping Handler
    ) {
        body = .async(handler)
        self.onJobExited = onJobExited
        self.resumable = resumable
        self.tag = tag
        self.concurrency = concurrency
        self.maxRuntime = maxRuntime
        self.priority = priority
        self.retry = retry
    }

    /// A job definition whose handler is CPU-bound: it runs on the bounded Dispatch pool
    /// (``QueueConfiguration/cpuConcurrency`` at once). Poll the signal to honour cancellation.
    public static func cpuBound(
        resumable: Bool = false, tag: String? = nil, concurrency: ConcurrencyMode = .concurrent,
        maxRuntime: Duration? = nil, priority: Int = 0, retry: RetryPolicy = .none,
        onJobExited: ExitHandler? = nil, handler: @escaping BlockingHandler
    ) -> JobDefinition {
        JobDefinition(
            body: .cpuBound(handler), onJobExited: onJobExited, resumable: resumable, tag: tag,
            concurrency: concurrency, maxRuntime: maxRuntime, priority: priority, retry: retry)
    }

    private init(
        body: Body, onJobExited: ExitHandler?, resumable: Bool, tag: String?, concurrency: ConcurrencyMode,
        maxRuntime: Duration?, priority: Int, retry: RetryPolicy
    ) {
        self.body = body
        self.onJobExited = onJobExited
        self.resumable = resumable
        self.tag = tag
        self.concurrency = concurrency
        self.maxRuntime = maxRuntime
        self.priority = priority
        self.retry = retry
    }

    /// Whether the handler runs on the Dispatch pool.
    public var isCPUBound: Bool { if case .cpuBound = body { true } else { false } }
}
