import Foundation
import Synchronization
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

/// A real store behind a switch that injects the faults of an outage: while ``down``, every
/// call fails as an unreachable database does (`unavailable`), having done nothing; calls of
/// the kinds in ``lostReplies`` are carried out by the real store and then fail all the same,
/// as a command whose reply the network lost. The processor under test is real; only the
/// network between it and its store misbehaves.
final class FaultyStore: JobStore {
    /// The calls whose replies can be lost.
    enum Call: Hashable, Sendable { case claim, finish, advanceCron }

    let base: any JobStore
    private let state = Mutex((down: false, lostReplies: Set<Call>(), failedCalls: 0))

    init(_ base: any JobStore) { self.base = base }

    /// Whether every call fails.
    var down: Bool {
        get { state.withLock { $0.down } }
        set { state.withLock { $0.down = newValue } }
    }

    /// The calls that are carried out and then fail.
    var lostReplies: Set<Call> {
        get { state.withLock { $0.lostReplies } }
        set { state.withLock { $0.lostReplies = newValue } }
    }

    /// How many calls failed so far.
    var failedCalls: Int { state.withLock { $0.failedCalls } }

    private func fault(_ operation: String) -> JobStoreError {
        state.withLock { $0.failedCalls += 1 }
        return JobStoreError(.unavailable, operation: operation, reason: "injected outage")
    }

    /// Fails when down; otherwise runs `body`, and fails after it when its reply is lost.
    private func call<Value>(
        _ operation: String, _ kind: Call? = nil, _ body: () async throws(JobStoreError) -> Value
    ) async throws(JobStoreError) -> Value {
        if down { throw fault(operation) }
        let value = try await body()
        if let kind, lostReplies.contains(kind) { throw fault(operation) }
        return value
    }

    func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        try await call("finish", .finish) { () async throws(JobStoreError) in
            try await base.finish(id, by: workerId, as: status, output: output, at: now, resumeAt: resumeAt)
        }
    }

    func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        if down { return requests.map { _ in .failure(fault("finish")) } }
        let results = await base.finish(requests)
        guard lostReplies.contains(.finish) else { return results }
        return requests.map { _ in .failure(fault("finish")) }
    }

    // `finish(_:thenClaim:now:limit:)` is the protocol's default: this store's own `finish`
    // and `claim` side by side, each failing as they do here.

    func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? {
        try await call("claim", .claim) { () async throws(JobStoreError) in try await base.claim(scope, now: now) }
    }

    func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        try await call("claim", .claim) { () async throws(JobStoreError) in
            try await base.claim(scope, now: now, limit: limit)
        }
    }

    func prepare() async throws(JobStoreError) { try await call("prepare") { () async throws(JobStoreError) in try await base.prepare() } }
    func insert(_ job: Job) async throws(JobStoreError) -> Job {
        try await call("insert") { () async throws(JobStoreError) in try await base.insert(job) }
    }
    func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job] {
        try await call("insert jobs") { () async throws(JobStoreError) in try await base.insert(many: jobs) }
    }
    func job(id: ObjectId) async throws(JobStoreError) -> Job? {
        try await call("read job") { () async throws(JobStoreError) in try await base.job(id: id) }
    }
    func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] {
        try await call("find jobs") { () async throws(JobStoreError) in try await base.jobs(matching: query) }
    }
    func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? {
        try await call("next due") { () async throws(JobStoreError) in try await base.nextDue(scope) }
    }
    func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        try await call("running jobs") { () async throws(JobStoreError) in try await base.runningJobs(selection, limit: limit) }
    }
    func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome {
        try await call("kill") { () async throws(JobStoreError) in try await base.kill(id, at: now) }
    }
    func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        try await call("sync crons") { () async throws(JobStoreError) in try await base.syncCrons(declared, at: now) }
    }
    func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        try await call("advance cron", .advanceCron) { () async throws(JobStoreError) in
            try await base.advanceCron(name, from: due, to: next, creating: task)
        }
    }
    func crons() async throws(JobStoreError) -> [CronRecord] {
        try await call("crons") { () async throws(JobStoreError) in try await base.crons() }
    }
    func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) {
        try await call("register worker") { () async throws(JobStoreError) in try await base.registerWorker(worker) }
    }
    func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        try await call("heartbeat") { () async throws(JobStoreError) in try await base.heartbeat(workerId, at: now) }
    }
    func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) {
        try await call("remove worker") { () async throws(JobStoreError) in try await base.removeWorker(workerId) }
    }
    func workers() async throws(JobStoreError) -> [WorkerRecord] {
        try await call("workers") { () async throws(JobStoreError) in try await base.workers() }
    }
    func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        try await call("declare dead") { () async throws(JobStoreError) in
            try await base.declareDead(workerId, seenBefore: seenBefore)
        }
    }
    func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        try await call("signals") { () async throws(JobStoreError) in try await base.pendingSignals(for: workerId) }
    }
    func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) {
        try await call("acknowledge") { () async throws(JobStoreError) in try await base.acknowledgeSignal(id) }
    }
    func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int {
        try await call("delete ended") { () async throws(JobStoreError) in try await base.deleteEnded(before: cutoff) }
    }
    func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] {
        try await call("count jobs") { () async throws(JobStoreError) in try await base.countJobs(upTo: limit) }
    }
    func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        try await call("endings per minute") { () async throws(JobStoreError) in
            try await base.endingsPerMinute(since: since, limit: limit)
        }
    }
}
