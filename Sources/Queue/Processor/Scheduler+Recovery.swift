import Foundation
import Loop

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

    /// Takes over the running jobs of workers not seen for the dead-worker timeout (SPEC §4):
    /// the store's guarded delete makes one live worker the owner of each dead one; its
    /// resumable jobs go back to `paused`, the others end `errored` ("Worker crashed
    /// unexpectedly") and get their `onJobExited` here. Running jobs whose worker document is
    /// gone (a takeover interrupted by another crash) are recovered the same way.
    ///
    /// Runs on a heartbeat once ``nextRecoveryScan`` has come (``RecoveryScanSchedule``: no
    /// worker can be found dead before), rather than on every heartbeat; a failed scan leaves it
    /// as it was, so the next heartbeat scans again.
    func recoverDeadWorkers() {
        let (store, workerId, definitions) = (store, workerId, definitions)
        let (timeout, heartbeat) = (configuration.deadWorkerTimeout, configuration.heartbeatInterval)
        let start = Date()
        let cutoff = start.addingTimeInterval(-timeout.timeInterval)
        perform({ () async throws(JobStoreError) -> RecoveryScan in
            let workers = try await store.workers()
            var orphaned: [(job: Job, owner: ObjectId)] = []
            for worker in workers where worker.id != workerId && worker.lastSeen < cutoff {
                guard try await store.declareDead(worker.id, seenBefore: cutoff) else { continue }
                let jobs = try await store.jobs(matching: JobQuery(statuses: [.running], workerId: worker.id, limit: 10_000))
                orphaned += jobs.map { ($0, worker.id) }
            }
            let live = Set(workers.map(\.id))
            let running = try await store.jobs(matching: JobQuery(statuses: [.running], limit: 500))
            for job in running {
                guard let owner = job.workerId, !live.contains(owner), job.updatedAt < cutoff,
                      !orphaned.contains(where: { $0.job.id == job.id })
                else { continue }
                orphaned.append((job, owner))
            }
            var recovered: [Recovered] = []
            for (job, owner) in orphaned {
                let definition = definitions[job.name]
                let resumable = definition?.resumable ?? false
                let output = resumable ? nil : JobOutput(error: "Worker crashed unexpectedly")
                guard let ended = try await store.finish(
                    job.id, by: owner, as: resumable ? .paused : .errored, output: output, at: Date())
                else { continue }
                if !resumable { recovered.append(Recovered(job: ended, onJobExited: definition?.onJobExited)) }
            }
            let others = workers.filter { $0.id != workerId }.map(\.lastSeen)
            let next = RecoveryScanSchedule.next(after: start, lastSeen: others, timeout: timeout, heartbeat: heartbeat)
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
                self.logger.warning("dead-worker recovery failed; retrying at the next heartbeat",
                                    metadata: ["error": "\(error)"])
            }
        }
    }
}
