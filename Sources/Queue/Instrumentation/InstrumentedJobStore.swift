import Foundation
import Tracing
import BSON

/// A ``JobStore`` that reports each call of the store it wraps: a round trip counted and timed
/// per operation, a span per call (a child of the caller's span, when it has one), and the jobs
/// it stores or kills counted by name. Every requirement forwards to the wrapped store's own
/// implementation, batching included.
///
/// The processor and the client wrap their store in it only when a metrics backend or a tracer
/// is bootstrapped (``QueueInstrumentation/make(metricsFactory:tracer:names:)``).
final class InstrumentedJobStore: JobStore, NodeVersionSharing {
    let base: any JobStore
    let instrumentation: QueueInstrumentation

    /// The operations measured, as their `operation` dimension and span names say them.
    static let operations = [
        "prepare", "insert", "insertMany", "job", "jobs", "claim", "nextDue", "finish", "finishThenClaim", "kill", "runningJobs",
        "syncCrons", "advanceCron", "crons", "registerWorker", "heartbeat", "removeWorker", "workers", "declareDead",
        "pendingSignals", "acknowledgeSignal", "deleteEnded", "countJobs", "endingsPerMinute",
    ]

    init(_ base: any JobStore, instrumentation: QueueInstrumentation) {
        self.base = base
        self.instrumentation = instrumentation
    }

    /// Whether the wrapped store found the Node version's validator (false for a store that
    /// shares no database with it).
    var nodeValidatorInstalled: Bool { (base as? any NodeVersionSharing)?.nodeValidatorInstalled ?? false }

    /// Runs one call of `operation`, timing and tracing it.
    private func measure<Value>(
        _ operation: String, _ body: () async throws(JobStoreError) -> Value
    ) async throws(JobStoreError) -> Value {
        let metrics = instrumentation.store(operation)
        let span = instrumentation.tracer.map { startSpan(operation, $0) }
        let began = metrics == nil ? nil : ContinuousClock.now
        do {
            let value = try await body()
            finished(metrics, span, began: began, failure: nil)
            return value
        } catch {
            finished(metrics, span, began: began, failure: error)
            throw error
        }
    }

    /// Runs one call of `operation` whose value reports its own failures (a batch of endings).
    private func measure<Value>(
        _ operation: String, failed: (Value) -> Bool, _ body: () async -> Value
    ) async -> Value {
        let metrics = instrumentation.store(operation)
        let span = instrumentation.tracer.map { startSpan(operation, $0) }
        let began = metrics == nil ? nil : ContinuousClock.now
        let value = await body()
        finished(metrics, span, began: began, failure: failed(value) ? JobStoreError(.database, operation: operation, reason: "part of the batch failed") : nil)
        return value
    }

    private func startSpan<T: Tracer>(_ operation: String, _ tracer: T) -> any Span {
        let span = tracer.startSpan("JobStore.\(operation)", context: ServiceContext.current ?? .topLevel, ofKind: .client)
        span.updateAttributes { $0["job_store.operation"] = operation }
        return span
    }

    private func finished(_ metrics: StoreMetrics?, _ span: (any Span)?, began: ContinuousClock.Instant?, failure: JobStoreError?) {
        if let metrics, let began {
            metrics.calls.increment()
            if failure != nil { metrics.failures.increment() }
            let elapsed = ContinuousClock.now - began
            metrics.duration.recordNanoseconds(Int64(elapsed.timeInterval * 1e9))
        }
        if let span {
            if let failure {
                span.recordError(failure)
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
        }
    }

    private static func anyFailed(_ results: [Result<Job?, JobStoreError>]) -> Bool {
        results.contains { if case .failure = $0 { true } else { false } }
    }

    // MARK: JobStore

    func prepare() async throws(JobStoreError) {
        try await measure("prepare") { () async throws(JobStoreError) in try await base.prepare() }
    }

    func insert(_ job: Job) async throws(JobStoreError) -> Job {
        let stored = try await measure("insert") { () async throws(JobStoreError) in try await base.insert(job) }
        instrumentation.stored(stored)
        return stored
    }

    func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job] {
        let stored = try await measure("insertMany") { () async throws(JobStoreError) in try await base.insert(many: jobs) }
        for job in stored { instrumentation.stored(job) }
        return stored
    }

    func job(id: ObjectId) async throws(JobStoreError) -> Job? {
        try await measure("job") { () async throws(JobStoreError) in try await base.job(id: id) }
    }

    func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] {
        try await measure("jobs") { () async throws(JobStoreError) in try await base.jobs(matching: query) }
    }

    func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        try await measure("claim") { () async throws(JobStoreError) in try await base.claim(scope, now: now) }
    }

    func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        try await measure("claim") { () async throws(JobStoreError) in try await base.claim(scope, now: now, limit: limit) }
    }

    func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? {
        try await measure("nextDue") { () async throws(JobStoreError) in try await base.nextDue(scope) }
    }

    func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        try await measure("finish") { () async throws(JobStoreError) in
            try await base.finish(id, by: workerId, as: status, output: output, at: now, resumeAt: resumeAt)
        }
    }

    func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        await measure("finish", failed: Self.anyFailed) { await base.finish(requests) }
    }

    func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>) {
        await measure("finishThenClaim", failed: { outcome in
            if case .failure = outcome.claimed { return true }
            return Self.anyFailed(outcome.endings)
        }) { await base.finish(endings, thenClaim: scope, now: now, limit: limit) }
    }

    func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome {
        let outcome = try await measure("kill") { () async throws(JobStoreError) in try await base.kill(id, at: now) }
        if case .killed(let job) = outcome { instrumentation.killed(job) }
        return outcome
    }

    func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        try await measure("runningJobs") { () async throws(JobStoreError) in try await base.runningJobs(selection, limit: limit) }
    }

    func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        try await measure("syncCrons") { () async throws(JobStoreError) in try await base.syncCrons(declared, at: now) }
    }

    func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        let created = try await measure("advanceCron") { () async throws(JobStoreError) in
            try await base.advanceCron(name, from: due, to: next, creating: task)
        }
        if let created { instrumentation.stored(created) }
        return created
    }

    func crons() async throws(JobStoreError) -> [CronRecord] {
        try await measure("crons") { () async throws(JobStoreError) in try await base.crons() }
    }

    func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) {
        try await measure("registerWorker") { () async throws(JobStoreError) in try await base.registerWorker(worker) }
    }

    func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        try await measure("heartbeat") { () async throws(JobStoreError) in try await base.heartbeat(workerId, at: now) }
    }

    func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) {
        try await measure("removeWorker") { () async throws(JobStoreError) in try await base.removeWorker(workerId) }
    }

    func workers() async throws(JobStoreError) -> [WorkerRecord] {
        try await measure("workers") { () async throws(JobStoreError) in try await base.workers() }
    }

    func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        try await measure("declareDead") { () async throws(JobStoreError) in
            try await base.declareDead(workerId, seenBefore: seenBefore)
        }
    }

    func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        try await measure("pendingSignals") { () async throws(JobStoreError) in try await base.pendingSignals(for: workerId) }
    }

    func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) {
        try await measure("acknowledgeSignal") { () async throws(JobStoreError) in try await base.acknowledgeSignal(id) }
    }

    func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int {
        try await measure("deleteEnded") { () async throws(JobStoreError) in try await base.deleteEnded(before: cutoff) }
    }

    func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] {
        try await measure("countJobs") { () async throws(JobStoreError) in try await base.countJobs(upTo: limit) }
    }

    func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        try await measure("endingsPerMinute") { () async throws(JobStoreError) in
            try await base.endingsPerMinute(since: since, limit: limit)
        }
    }

    func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)? {
        await base.watchNewJobs(scope, onNewJob)
    }
}
