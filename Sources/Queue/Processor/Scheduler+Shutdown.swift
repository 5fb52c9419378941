import Foundation
import Loop
import BSON

extension Scheduler {
    /// Graceful shutdown (SPEC §4): stop claiming, fire every running job's signal, wait up to
    /// the grace period (abandoned handlers are recorded), then remove the worker document and
    /// stop.
    func beginShutdown() {
        loop.preconditionInLoop()
        guard phase == .running else { return }
        phase = .draining
        shutdownBegan = loop.now
        let timers = [pollTimer, dueTimer?.handle, heartbeatTimer, signalTimer, retentionTimer].compactMap { $0 }
        for timer in timers + cronTimers.values { loop.cancel(timer) }
        (pollTimer, dueTimer, heartbeatTimer, signalTimer, retentionTimer) = (nil, nil, nil, nil, nil)
        cronTimers = [:]
        watch?.cancel()
        watch = nil
        logger.info("shutting down", metadata: ["running": "\(running.count)"])
        for id in Array(running.keys) { interrupt(id, .shutdown) }
        checkDrained()
    }

    /// Once draining and nothing is running or in flight: remove the worker document and stop.
    func checkDrained() {
        guard phase == .draining, running.isEmpty, inFlight == 0, !claiming else { return }
        phase = .stopped
        let (store, workerId) = (store, workerId)
        perform({ () async throws(JobStoreError) in try await store.removeWorker(workerId) }) { result in
            if case .failure(let error) = result {
                self.logger.error("could not remove the worker document", metadata: ["error": "\(error)"])
            }
            self.logger.info("stopped", metadata: ["worker": "\(workerId)"])
            self.onStopped()
        }
    }
}
