import Foundation
import Loop
import BSON

/// What runs beside the machine and only feeds it events: the retention of old jobs and the
/// store's watch of new jobs (the crons' ticks are in `Scheduler+Crons`).
extension Scheduler {
    /// How often workers delete jobs older than the retention period.
    static let retentionInterval = Duration.seconds(3600)

    /// Deletes jobs that ended more than the retention period ago, now and every hour.
    func applyRetention() {
        let store = store
        let cutoff = Date().addingTimeInterval(-configuration.retention.timeInterval)
        sideCall({ () async throws(JobStoreError) in try await store.deleteEnded(before: cutoff) }) { result in
            switch result {
            case .success(let deleted) where deleted > 0:
                self.logger.info("deleted jobs older than the retention period", metadata: ["count": "\(deleted)"])
            case .success: break
            case .failure(let error):
                self.machine.storeFailed(error, "could not delete old jobs", now: self.loop.now)
            }
        }
        retentionTimer = loop.schedule(after: Self.retentionInterval) { event in
            guard case .fired = event, self.machine.phase == .running else { return }
            self.applyRetention()
        }
    }

    /// Asks the store to report new jobs as they are created (a change stream), so that other
    /// processes' jobs start without waiting for a poll. Polling goes on regardless.
    func watchNewJobs() {
        let (store, scope, loop) = (store, scope, loop)
        sideCall({ () async throws(JobStoreError) in
            await store.watchNewJobs(scope) { due in try? loop.execute { self.wake(at: due) } }
        }) { result in
            guard case .success(let watch?) = result else { return }
            guard self.machine.phase == .running else { return watch.cancel() }
            self.watch = watch
            watch.setWanted(self.machine.newJobReportsWanted)
        }
    }

    /// Stops what runs beside the machine: the crons' timers, retention and the watch.
    func stopBackgroundWork() {
        for timer in cronTimers.values { loop.cancel(timer) }
        cronTimers = [:]
        if let retentionTimer { loop.cancel(retentionTimer) }
        retentionTimer = nil
        watch?.cancel()
        watch = nil
    }
}
