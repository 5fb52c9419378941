import Foundation
import Synchronization
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// A real store seen through a recorder of the ending writes the scheduler makes: how many
/// endings each `finish` call carried. Every call goes to `base` unchanged; ending writes can
/// be slowed by `writeDelay`, as a remote store would be, so that the scheduler has time to
/// see handlers end during a write.
final class EndingWriteRecorder: JobStore {
    let base: any JobStore
    let writeDelay: Duration
    private let writes = Mutex<[Int]>([])

    init(_ base: any JobStore, writeDelay: Duration = .zero) {
        self.base = base
        self.writeDelay = writeDelay
    }

    /// The number of endings in each write, in call order.
    var endingsPerWrite: [Int] { writes.withLock { $0 } }

    private func recordWrite(_ count: Int) async {
        writes.withLock { $0.append(count) }
        if writeDelay > .zero { try? await Task.sleep(for: writeDelay) }
    }

    func finish(
        _ id: ObjectId, by workerId: ObjectId, as status: JobStatus, output: JobOutput?, at now: Date, resumeAt: Date?
    ) async throws(JobStoreError) -> Job? {
        await recordWrite(1)
        return try await base.finish(id, by: workerId, as: status, output: output, at: now, resumeAt: resumeAt)
    }

    func finish(_ requests: [FinishRequest]) async -> [Result<Job?, JobStoreError>] {
        await recordWrite(requests.count)
        return await base.finish(requests)
    }

    func finish(
        _ endings: [FinishRequest], thenClaim scope: ClaimScope, now: Date, limit: Int
    ) async -> (endings: [Result<Job?, JobStoreError>], claimed: Result<[Job], JobStoreError>) {
        await recordWrite(endings.count)
        return await base.finish(endings, thenClaim: scope, now: now, limit: limit)
    }

    // Everything else goes straight to `base`.
    func prepare() async throws(JobStoreError) { try await base.prepare() }
    func insert(_ job: Job) async throws(JobStoreError) -> Job { try await base.insert(job) }
    func insert(many jobs: [Job]) async throws(JobStoreError) -> [Job] { try await base.insert(many: jobs) }
    func job(id: ObjectId) async throws(JobStoreError) -> Job? { try await base.job(id: id) }
    func jobs(matching query: JobQuery) async throws(JobStoreError) -> [Job] { try await base.jobs(matching: query) }
    func claim(_ scope: ClaimScope, now: Date) async throws(JobStoreError) -> Job? { try await base.claim(scope, now: now) }
    func claim(_ scope: ClaimScope, now: Date, limit: Int) async throws(JobStoreError) -> [Job] {
        try await base.claim(scope, now: now, limit: limit)
    }
    func nextDue(_ scope: ClaimScope) async throws(JobStoreError) -> Date? { try await base.nextDue(scope) }
    func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        try await base.runningJobs(selection, limit: limit)
    }
    func kill(_ id: ObjectId, at now: Date) async throws(JobStoreError) -> KillOutcome { try await base.kill(id, at: now) }
    func syncCrons(_ declared: [CronRecord], at now: Date) async throws(JobStoreError) -> [CronRecord] {
        try await base.syncCrons(declared, at: now)
    }
    func advanceCron(_ name: String, from due: Date, to next: Date, creating task: Job) async throws(JobStoreError) -> Job? {
        try await base.advanceCron(name, from: due, to: next, creating: task)
    }
    func crons() async throws(JobStoreError) -> [CronRecord] { try await base.crons() }
    func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) { try await base.registerWorker(worker) }
    func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        try await base.heartbeat(workerId, at: now)
    }
    func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) { try await base.removeWorker(workerId) }
    func workers() async throws(JobStoreError) -> [WorkerRecord] { try await base.workers() }
    func declareDead(_ workerId: ObjectId, seenBefore: Date) async throws(JobStoreError) -> Bool {
        try await base.declareDead(workerId, seenBefore: seenBefore)
    }
    func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        try await base.pendingSignals(for: workerId)
    }
    func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) { try await base.acknowledgeSignal(id) }
    func deleteEnded(before cutoff: Date) async throws(JobStoreError) -> Int { try await base.deleteEnded(before: cutoff) }
    func countJobs(upTo limit: Int) async throws(JobStoreError) -> [JobStatus: Int] { try await base.countJobs(upTo: limit) }
    func endingsPerMinute(since: Date, limit: Int) async throws(JobStoreError) -> [EndingsInMinute] {
        try await base.endingsPerMinute(since: since, limit: limit)
    }
    func watchNewJobs(_ scope: ClaimScope, _ onNewJob: @escaping @Sendable (Date) -> Void) async -> (any JobWatch)? {
        await base.watchNewJobs(scope, onNewJob)
    }
}
