import Foundation
import Loop
import BSON

extension Scheduler {
    /// Checks for kill signals every longest poll interval while jobs run here. A kill made in
    /// this process checks at once (``checkSignals()``).
    func scheduleSignalCheck() {
        signalTimer = loop.schedule(after: configuration.pollInterval.upperBound) { event in
            guard case .fired = event, self.phase == .running else { return }
            self.signalTimer = nil
            if !self.running.isEmpty { self.checkSignals() }
            self.scheduleSignalCheck()
        }
    }

    /// Reads this worker's signals, fires the signal of each killed job it runs (which then
    /// ends `killed` and gets its `onJobExited`), and acknowledges them.
    func checkSignals() {
        loop.preconditionInLoop()
        let (store, workerId) = (store, workerId)
        perform({ () async throws(JobStoreError) in try await store.pendingSignals(for: workerId) }) { result in
            guard case .success(let signals) = result else { return }
            for signal in signals {
                if signal.kind == .kill, self.running[signal.jobId] != nil {
                    self.logger.info("job killed", metadata: ["job": "\(signal.jobId)"])
                    self.interrupt(signal.jobId, .killed)
                }
                self.perform({ () async throws(JobStoreError) in try await store.acknowledgeSignal(signal.id) }) { _ in }
            }
        }
    }
}
