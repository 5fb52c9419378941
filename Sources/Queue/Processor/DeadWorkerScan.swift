import Foundation
import Logging
import BSON

/// One scan for dead workers and the takeover of their jobs: the I/O behind the machine's
/// ``WorkerStateMachine/Action/scanForDeadWorkers(at:)``.
///
/// Takes over the running jobs of workers not seen for the dead-worker timeout (SPEC §4):
/// the store's guarded delete makes one live worker the owner of each dead one; its resumable
/// jobs go back to `paused`, the others end `errored` ("Worker crashed unexpectedly") and are
/// returned for their `onJobExited`. Running jobs whose worker document is gone (a takeover
/// interrupted by another crash) are recovered the same way.
///
/// Nothing one document holds can stop a scan (SPEC §7): jobs are listed by their id, name and
/// owner alone (``JobStore/runningJobs(_:limit:)``), a worker document that cannot be read is
/// listed as never seen, and each worker and each job is taken over on its own, a failure
/// logged and the scan going on.
struct DeadWorkerScan: Sendable {
    /// The most running jobs one scan reads per query; more wait for the next scan, which then
    /// comes at the next heartbeat. Also the most a worker lists of its own claims.
    static let batch = 1_000

    let store: any JobStore
    let workerId: ObjectId
    let definitions: [String: JobDefinition]
    let timeout: Duration
    let heartbeat: Duration
    let start: Date
    let logger: Logger
    /// Draws in `0..<1` for the retry back-off's jitter.
    var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    /// The error a crash recovery records.
    static let crashed = "Worker crashed unexpectedly"

    /// Counts a crash under a non-resumable job as a failed attempt (``RetryPolicy``): the job
    /// is read for its attempts and own maximum; with attempts left it goes back to `pending`,
    /// due after the back-off. A job that cannot be read ends `errored` as it would without
    /// retries.
    private func countCrash(of job: RunningJobReference, definition: JobDefinition?, into request: inout FinishRequest) async throws(JobStoreError) {
        let stored: Job?
        do throws(JobStoreError) { stored = try await store.job(id: job.id) } catch where error.code == .invalidDocument {
            return
        }
        guard let stored, let decision = RetryPolicy.failedAttempt(
            of: stored, definition: definition, error: Self.crashed, retryable: true, at: request.at, random: random())
        else { return }
        request.failure = decision.failure
        if let retryAt = decision.retryAt {
            request.status = .pending
            request.resumeAt = retryAt
        }
    }

    func run() async throws(JobStoreError) -> RecoveryScan {
        let cutoff = start.addingTimeInterval(-timeout.timeInterval)
        let batch = Self.batch
        let workers = try await store.workers()
        var orphaned: [(job: RunningJobReference, owner: ObjectId)] = []
        var more = false
        for worker in workers where worker.id != workerId && worker.lastSeen < cutoff {
            do throws(JobStoreError) {
                guard try await store.declareDead(worker.id, seenBefore: cutoff) else { continue }
                let jobs = try await store.runningJobs(.ownedBy(worker.id), limit: batch)
                more = more || jobs.count == batch
                orphaned += jobs.map { ($0, worker.id) }
            } catch {
                // Its jobs are found by the orphan query below once its document is gone.
                logger.warning("could not take over a dead worker", metadata: ["worker": "\(worker.id)", "error": "\(error)"])
            }
        }
        let taken = Set(orphaned.map(\.job.id))
        let gone = try await store.runningJobs(.orphaned(liveWorkers: workers.map(\.id), updatedBefore: cutoff), limit: batch)
        more = more || gone.count == batch
        for job in gone where !taken.contains(job.id) {
            guard let owner = job.workerId else {
                logger.error("a running job has no readable worker_id; it cannot be recovered", metadata: ["job": "\(job.id)"])
                continue
            }
            orphaned.append((job, owner))
        }
        var recovered: [RecoveredJob] = []
        for (job, owner) in orphaned {
            let definition = job.name.flatMap { definitions[$0] }
            let resumable = definition?.resumable ?? false
            let output = resumable ? nil : JobOutput(error: Self.crashed)
            do throws(JobStoreError) {
                var request = FinishRequest(job.id, by: owner, as: resumable ? .paused : .errored, output: output, at: Date())
                if !resumable, definition != nil, !job.sync {
                    try await countCrash(of: job, definition: definition, into: &request)
                }
                guard let ended = try await store.finish([request]).first?.get() else { continue }
                if ended.status.isTerminal { recovered.append(RecoveredJob(job: ended, onJobExited: definition?.onJobExited)) }
            } catch {
                // An ending written but not read back (a document the store cannot read) lands here too.
                logger.error("could not recover a job from a dead worker", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
        let others = workers.filter { $0.id != workerId }.map(\.lastSeen)
        let next = more ? start
            : RecoveryScanSchedule.next(after: start, lastSeen: others, timeout: timeout, heartbeat: heartbeat)
        return RecoveryScan(recovered: recovered, nextScan: next)
    }
}
