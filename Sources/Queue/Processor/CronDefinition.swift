import Cron
import Foundation
import BSON

/// A periodic job: the seed's `CronDef`, Swift-shaped.
///
/// At each tick of ``cronString`` (in ``timeZone``, or the processor's default), exactly one
/// cron task is created across the whole fleet and runs like a job: on a worker whose tags
/// allow ``tag``, exclusive or not, resumable or not, with ``onJobExited`` at its end.
///
/// ```swift
/// let nightly = CronDefinition("30 2 * * *", timeZone: TimeZone(identifier: "Europe/Paris"),
///                              maxRuntimeInMinutes: 60) { signal, task in
///     try await rebuildExports(until: signal)
///     return nil
/// }
/// ```
public struct CronDefinition: Sendable {
    /// Receives the cancellation signal and the stored cron task (`type: cron_task`).
    public typealias Handler = @Sendable (JobSignal, Job) async throws -> BSON?

    /// The cron expression (5 or 6 fields, macros, `L`, `#`: see ``CronExpression``).
    public var cronString: String
    let handler: Handler
    /// Called once with the final task after it ends for any reason.
    public var onJobExited: JobDefinition.ExitHandler?
    /// Whether an interrupted task is paused and resumed (true) or errored (false).
    public var resumable: Bool
    /// Minutes of tolerance between the scheduled and the actual start, for monitor check-ins.
    public var checkinMargin: Int?
    /// The longest a task may run: then its signal fires and it is paused (resumable) or
    /// errored "Max runtime exceeded".
    public var maxRuntimeInMinutes: Int?
    /// Only workers with this tag run its tasks; nil: every worker.
    public var tag: String?
    /// `.exclusive`: a tick whose previous task is still active stores its task `skipped`.
    public var concurrency: ConcurrencyMode
    /// The zone the expression is read in; nil: ``QueueConfiguration/defaultTimeZone``.
    public var timeZone: TimeZone?

    /// A cron on `cronString` whose tasks run `handler`, the other settings as their properties
    /// say. The expression is parsed when the processor is created: ``JobProcessor/init(_:)``
    /// throws `invalidConfiguration` naming the cron when it is invalid.
    public init(
        _ cronString: String, timeZone: TimeZone? = nil, resumable: Bool = false, checkinMargin: Int? = nil,
        maxRuntimeInMinutes: Int? = nil, tag: String? = nil, concurrency: ConcurrencyMode = .concurrent,
        onJobExited: JobDefinition.ExitHandler? = nil, handler: @escaping Handler
    ) {
        self.cronString = cronString
        self.timeZone = timeZone
        self.resumable = resumable
        self.checkinMargin = checkinMargin
        self.maxRuntimeInMinutes = maxRuntimeInMinutes
        self.tag = tag
        self.concurrency = concurrency
        self.onJobExited = onJobExited
        self.handler = handler
    }

    /// The job definition its tasks run with.
    var taskDefinition: JobDefinition {
        let handler = handler
        var definition = JobDefinition(
            resumable: resumable, tag: tag, concurrency: concurrency, onJobExited: onJobExited
        ) { task, signal in try await handler(signal, task) }
        definition.maxRuntime = maxRuntimeInMinutes.map { .seconds($0 * 60) }
        return definition
    }
}

/// A declared cron, checked and ready to compute its ticks.
struct ScheduledCron: Sendable {
    let name: String
    let definition: CronDefinition
    let expression: CronExpression
    let timeZone: TimeZone

    /// The first tick strictly after `date`, or nil for an expression that never fires again.
    func next(after date: Date) -> Date? { expression.next(after: date, in: timeZone) }
}
