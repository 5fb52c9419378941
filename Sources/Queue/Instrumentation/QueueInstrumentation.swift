import CoreMetrics
import Foundation
import Synchronization
import Tracing
import BSON

/// What the processor reports to swift-metrics and swift-distributed-tracing: counters and timers
/// per job name, a span per run linked to the span that scheduled the job, and a span and a
/// timer per store round trip (through ``InstrumentedJobStore``).
///
/// Made only when the application has a metrics backend or a tracer (``make(metricsFactory:tracer:names:)``
/// returns nil otherwise): without either, the worker's calls are one `nil` check, and no clock
/// is read, no span is made and no store call is wrapped. Metric objects are made once per job
/// name (those the worker defines up front, others on first use) and kept.
final class QueueInstrumentation: Sendable {
    /// The metrics backend; nil when none is bootstrapped (swift-metrics' no-op handler).
    let metricsFactory: (any MetricsFactory)?
    /// The tracer; nil when none is bootstrapped (the no-op tracer).
    let tracer: (any Tracer)?
    /// The metrics of the names known when the processor was made: read without a lock.
    private let known: [String: JobMetrics]
    /// The metrics of other names (jobs a bare client schedules), made on first use.
    private let others = Mutex<[String: JobMetrics]>([:])
    /// The metrics of each store operation.
    private let storeOperations: [String: StoreMetrics]
    /// The span of each run under way in this process, by job id.
    private let runs = Mutex<[ObjectId: any Span]>([:])

    /// The instrumentation for `metricsFactory` (nil: the bootstrapped one) and `tracer` (nil:
    /// the bootstrapped one), with metrics made up front for `names`; nil when neither reports
    /// anything, so that callers skip every call.
    static func make(
        metricsFactory: (any MetricsFactory)?, tracer: (any Tracer)?, names: some Sequence<String>
    ) -> QueueInstrumentation? {
        let factory = metricsFactory ?? MetricsSystem.factory
        let tracer = tracer ?? InstrumentationSystem.tracer
        let reportsMetrics = !(factory is NOOPMetricsHandler)
        let traces = !(tracer is NoOpTracer)
        guard reportsMetrics || traces else { return nil }
        return QueueInstrumentation(metricsFactory: reportsMetrics ? factory : nil, tracer: traces ? tracer : nil, names: names)
    }

    private init(metricsFactory: (any MetricsFactory)?, tracer: (any Tracer)?, names: some Sequence<String>) {
        self.metricsFactory = metricsFactory
        self.tracer = tracer
        var known: [String: JobMetrics] = [:]
        var storeOperations: [String: StoreMetrics] = [:]
        if let metricsFactory {
            for name in names { known[name] = JobMetrics(name: name, factory: metricsFactory) }
            for operation in InstrumentedJobStore.operations {
                storeOperations[operation] = StoreMetrics(operation: operation, factory: metricsFactory)
            }
        }
        self.known = known
        self.storeOperations = storeOperations
    }

    /// The metrics of job name `name`, nil without a metrics backend.
    func metrics(_ name: String) -> JobMetrics? {
        if let metrics = known[name] { return metrics }
        guard let metricsFactory else { return nil }
        return others.withLock { others in
            if let metrics = others[name] { return metrics }
            let metrics = JobMetrics(name: name, factory: metricsFactory)
            others[name] = metrics
            return metrics
        }
    }

    /// The metrics of store operation `operation`, nil without a metrics backend.
    func store(_ operation: String) -> StoreMetrics? { storeOperations[operation] }

    // MARK: Scheduling

    /// The trace context of the calling task, as the carrier a job keeps it in
    /// (``Job/traceContext``); nil when no tracer runs or the task has no span.
    func currentTraceContext() -> [String: String]? {
        guard let tracer, let context = ServiceContext.current else { return nil }
        var carrier: [String: String] = [:]
        tracer.inject(context, into: &carrier, using: TraceCarrier())
        return carrier.isEmpty ? nil : carrier
    }

    /// A job was stored: counted as scheduled, or as skipped when an exclusive twin was active.
    func stored(_ job: Job) {
        guard let metrics = metrics(job.name) else { return }
        (job.status == .skipped ? metrics.skipped : metrics.scheduled).increment()
    }

    /// A pending or paused job was killed from a client, without running.
    func killed(_ job: Job) {
        metrics(job.name)?.killed.increment()
    }

    // MARK: Runs

    /// A handler starts on `worker`: counts it, records how long it waited past its due time
    /// (and, for a cron task, its tick's lateness), and opens its run span, linked to the span
    /// that scheduled it when the job carries one.
    func started(_ job: Job, worker: ObjectId) {
        if let metrics = metrics(job.name) {
            metrics.started.increment()
            metrics.running.increment()
            let wait = max(0, Date().timeIntervalSince(job.scheduledFor))
            metrics.queueWait.recordSeconds(wait)
            if job.type == .cronTask { metrics.cronLateness.recordSeconds(wait) }
        }
        guard let tracer else { return }
        let span = startRun(of: job, worker: worker, tracer: tracer)
        runs.withLock { $0[job.id] = span }
    }

    /// The run span of `job`, linked to the scheduling span its trace context names.
    private func startRun<T: Tracer>(of job: Job, worker: ObjectId, tracer: T) -> any Span {
        let span = tracer.startSpan("run \(job.name)", context: .topLevel, ofKind: .consumer)
        span.updateAttributes { attributes in
            attributes["job.name"] = job.name
            attributes["job.id"] = job.id.description
            attributes["job.type"] = job.type.rawValue
            attributes["job.worker"] = worker.description
        }
        if let carrier = job.traceContext {
            var scheduling = ServiceContext.topLevel
            tracer.extract(carrier, into: &scheduling, using: TraceCarrier())
            span.addLink(SpanLink(context: scheduling, attributes: [:]))
        }
        return span
    }

    /// The context of `id`'s run span, for its handler's task: spans the handler starts are the
    /// run's children. Nil without a tracer or a run under way.
    func runContext(_ id: ObjectId) -> ServiceContext? {
        guard tracer != nil else { return nil }
        return runs.withLock { $0[id]?.context }
    }

    /// A handler ended (or was abandoned) after `duration`, its job going to `status`: counts
    /// the ending, records the run's duration and closes its span.
    func ended(_ job: Job, _ status: JobStatus, duration: Duration) {
        if let metrics = metrics(job.name) {
            metrics.ended(status)?.increment()
            metrics.running.decrement()
            metrics.runDuration.recordNanoseconds(Int64(duration.timeInterval * 1e9))
        }
        guard tracer != nil, let span = runs.withLock({ $0.removeValue(forKey: job.id) }) else { return }
        span.attributes["job.status"] = status.rawValue
        if status == .errored || status == .killed { span.setStatus(SpanStatus(code: .error, message: status.rawValue)) }
        span.end()
    }
}

/// Writes and reads a trace context in the string dictionary a job keeps it in.
struct TraceCarrier: Injector, Extractor {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key] = value
    }

    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key]
    }
}
