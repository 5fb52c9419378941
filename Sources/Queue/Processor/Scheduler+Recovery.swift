import Foundation
import Loop
import BSON

extension Scheduler {
    /// A job taken over from a dead worker that ended `errored`, with its definition.
    struct Recovered: Sendable {
        let job: Job
        let onJobExited: JobDefinition.ExitHandler?
    }

    /// What a scan for dead workers did, and when the next one is needed.
    struct RecoveryScan: Sendable {
        let recovered: [Recovered]
        /// See ``RecoveryScanSchedule``.
        let nextScan: Date
    }

    /// The most running jobs one recovery scan reads per query; more wait for the next scan,
    /// which then comes at the next heartbeat.
    static let recoveryBatch = 1_000

    /// Takes over the running jobs of workers not seen for the dead-worker timeout (SPEC §4):
    /// the store's guarded delete makes one live worker the owner of each dead one; its
    /// resumable jobs go back to `paused`, the others end `errored` ("Worker crashed
    /// unexpectedly") and get their `onJobExited` here. Running jobs whose worker document is
    /// gone (a takeover interrupted by another crash) are recovered the same way.
    ///
    /// Nothing one document holds can stop a scan (SPEC §7): jobs are listed by their id,
    /// name and owner alone (``JobStore/runningJobs(_:limit:)``), a worker document that cannot
    /// be read is listed as never seen, and each worker and each job is taken over on its own,
    /// a failure logged and the scan going on.
    ///
    /// Runs on a heartbeat once ``nextRecoveryScan`` has come (``RecoveryScanSchedule``: no
    /// worker can be found dead before), rather than on every heartbeat; a failed scan leaves it
    /// as it was, so the next heartbeat scans again.
    func recoverDeadWorkers() {
        let (store, workerId, definitions, logger) = (store, workerId, definitions, logger)
        let (timeout, heartbeat) = (configuration.deadWorkerTimeout, configuration.heartbeatInterval)
        let start = Date()
        let cutoff = start.addingTimeInterval(-timeout.timeInterval)
        let batch = Self.recoveryBatch
        perform({ () async throws(JobStoreError) -> RecoveryScan in
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
                    logger.error("a running job has no readable worker_id; it cannot be recovered",
                                 metadata: ["job": "\(job.id)"])
                    continue
                }
                orphaned.append((job, owner))
            }
            var recovered: [Recovered] = []
            for (job, owner) in orphaned {
                let definition = job.name.flatMap { definitions[$0] }
                let resumable = definition?.resumable ?? false
                let output = resumable ? nil : JobOutput(error: "Worker crashed unexpectedly")
                do throws(JobStoreError) {
                    guard let ended = try await store.finish(
                        job.id, by: owner, as: resumable ? .paused : .errored, output: output, at: Date())
                    else { continue }
                    if !resumable { recovered.append(Recovered(job: ended, onJobExited: definition?.onJobExited)) }
                } catch {
                    // An ending written but not read back (a document the store cannot read) lands here too.
                    logger.error("could not recover a job from a dead worker", metadata: ["job": "\(job.id)", "error": "\(error)"])
                }
            }
            let others = workers.filter { $0.id != workerId }.map(\.lastSeen)
            let next = more ? start
                : RecoveryScanSchedule.next(after: start, lastSeen: others, timeout: timeout, heartbeat: heartbeat)
            return RecoveryScan(recovered: recovered, nextScan: next)
        }) { result in
            switch result {
            case .success(let scan):
                self.nextRecoveryScan = scan.nextScan
                for item in scan.recovered {
                    self.logger.warning("recovered a job from a dead worker", metadata: ["job": "\(item.job.id)"])
                    if let handler = item.onJobExited { self.callExitHandler(handler, item.job) }
                }
            case .failure(let error):
                self.storeFailed(error, "dead-worker recovery failed; retrying at the next heartbeat")
            }
        }
    }
}
