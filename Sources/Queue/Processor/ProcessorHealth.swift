import Dispatch
import Foundation
import Synchronization
import BSON

/// A running processor's health (SPEC §3 "healthcheck"): what a container's liveness probe
/// asks.
public struct ProcessorHealth: Sendable, Hashable {
    /// The event loop ran a submitted closure within a second.
    public var loopAlive: Bool
    /// The store answered a bounded read.
    public var databaseReachable: Bool
    /// The worker's last heartbeat is younger than the dead-worker timeout.
    public var heartbeatFresh: Bool

    /// All three hold.
    public var isHealthy: Bool { loopAlive && databaseReachable && heartbeatFresh }
}

extension JobProcessor {
    /// Checks the loop, the store and the heartbeat. A processor that is not running is
    /// unhealthy (loop and heartbeat false).
    public func health() async -> ProcessorHealth {
        let databaseReachable = (try? await store.workers()) != nil
        guard let runtime else {
            return ProcessorHealth(loopAlive: false, databaseReachable: databaseReachable, heartbeatFresh: false)
        }
        let loopAlive = await Self.answers(runtime, within: .seconds(1))
        let lastBeat = runtime.scheduler.lastHeartbeat.withLock { $0 }
        let timeout = configuration.deadWorkerTimeout.timeInterval
        return ProcessorHealth(
            loopAlive: loopAlive, databaseReachable: databaseReachable,
            heartbeatFresh: Date().timeIntervalSince(lastBeat) < timeout)
    }

    /// Whether the loop runs a closure within `limit` (a stuck loop never does: the answer
    /// then comes from a Dispatch timer, so this never hangs).
    private static func answers(_ runtime: ProcessorRuntime, within limit: Duration) async -> Bool {
        let answered = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        return await withCheckedContinuation { continuation in
            answered.withLock { $0 = continuation }
            let finish: @Sendable (Bool) -> Void = { value in
                answered.withLock { $0.take() }?.resume(returning: value)
            }
            do { try runtime.loop.execute { finish(true) } } catch { finish(false) }
            let deadline = DispatchTime.now() + .milliseconds(Int(limit.timeInterval * 1000))
            DispatchQueue.global().asyncAfter(deadline: deadline) { finish(false) }
        }
    }
}
