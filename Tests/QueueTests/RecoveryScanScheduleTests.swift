import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

/// When a worker scans for dead workers: only once one may be dead, yet finding a crashed
/// worker at the same heartbeat as scanning on every heartbeat would.
@Suite("RecoveryScanSchedule")
struct RecoveryScanScheduleTests {
    private let start = Date(timeIntervalSince1970: 1_750_000_000)

    /// The next scan after one at ``start`` that read workers last seen `lastSeen` seconds from
    /// it, with the default heartbeat (2 s) and timeout (10 s).
    private func next(_ lastSeen: [Double]) -> Date {
        RecoveryScanSchedule.next(
            after: start, lastSeen: lastSeen.map { start.addingTimeInterval($0) }, timeout: .seconds(10),
            heartbeat: .seconds(2))
    }

    @Test func aLoneWorkerScansAgainOneTimeoutLessOneHeartbeatLater() {
        #expect(next([]) == start.addingTimeInterval(8))
    }

    @Test func theNextScanComesWhenTheLeastRecentlySeenWorkerCouldFirstBeDead() {
        #expect(next([-0.5, -3, -1]) == start.addingTimeInterval(7))
        #expect(next([-0.5]) == start.addingTimeInterval(8), "never later than one timeout less one heartbeat")
    }

    @Test func aWorkerAlreadyPastTheTimeoutCallsForAScanAtTheNextHeartbeat() {
        #expect(next([-11, -1]) < start)
    }

    /// A victim heartbeating every 2 s until it is killed, and a survivor heartbeating every 2 s
    /// with another phase: over many phases and crash times, the survivor scanning on schedule
    /// finds the victim dead at the heartbeat where scanning on every heartbeat does, within
    /// 12 s of the crash, with about a quarter of the scans.
    @Test func scanningOnScheduleFindsACrashedWorkerAtTheSameHeartbeatAsScanningOnEveryHeartbeat() {
        let (timeout, beat) = (10.0, 2.0)
        var scans = (everyBeat: 0, scheduled: 0)
        for victimPhase in stride(from: 0.0, to: beat, by: 0.25) {
            for survivorPhase in stride(from: 0.1, to: beat, by: 0.3) {
                for crash in stride(from: 20.0, to: 40.0, by: 0.7) {
                    func lastSeen(at time: Double) -> Double {  // the victim's last heartbeat by `time`
                        let last = min(time, crash)
                        return victimPhase + ((last - victimPhase) / beat).rounded(.down) * beat
                    }
                    var detected: (everyBeat: Double?, scheduled: Double?) = (nil, nil)
                    var nextScan = -Double.infinity
                    var time = survivorPhase
                    while detected.everyBeat == nil || detected.scheduled == nil {
                        let seen = lastSeen(at: time)
                        let dead = seen < time - timeout
                        if detected.everyBeat == nil {
                            scans.everyBeat += 1
                            if dead { detected.everyBeat = time }
                        }
                        if detected.scheduled == nil, time >= nextScan {
                            scans.scheduled += 1
                            if dead { detected.scheduled = time }
                            let at = { (seconds: Double) in self.start.addingTimeInterval(seconds) }
                            nextScan = RecoveryScanSchedule.next(
                                after: at(time), lastSeen: [at(seen)], timeout: .seconds(10), heartbeat: .seconds(2)
                            ).timeIntervalSince(start)
                        }
                        time += beat
                    }
                    #expect(detected.scheduled == detected.everyBeat, "phases \(victimPhase), \(survivorPhase), crash \(crash)")
                    #expect(detected.scheduled! - crash <= timeout + beat)
                }
            }
        }
        #expect(scans.scheduled * 3 < scans.everyBeat, "\(scans)")
    }
}
