import Foundation
import BSON

/// When a worker must next look for dead workers: the earliest instant at which any worker may
/// be found dead, computed from what the last scan read, so that heartbeats in between skip the
/// scan (two reads: the workers, and the running jobs of workers gone).
///
/// Why this loses no detection time: a worker is dead once `lastSeen < now − timeout`, and its
/// `lastSeen` only moves forward, so a worker read with `lastSeen = L` cannot be dead before
/// `L + timeout`. A worker that registers after the read has `lastSeen` at or after the scan's
/// start, hence cannot be dead before `start + timeout`. Scanning at the first heartbeat at or
/// after the earliest such instant therefore finds every dead worker at the very heartbeat at
/// which a scan on every heartbeat would have. With the defaults (heartbeat 2 s, timeout 10 s)
/// a worker scans about every 8 s instead of every 2 s.
///
/// Two margins: the next scan is never more than `timeout − heartbeat` after the last one
/// (covering clocks of other hosts up to one heartbeat behind ours, and jobs left running by a
/// takeover that crashed, found by the second read), and a worker already past the timeout
/// (taken over by another worker, or alive again by a late heartbeat) calls for a scan at the
/// next heartbeat.
enum RecoveryScanSchedule {
    /// The instant before which no scan is needed.
    /// - Parameters:
    ///   - start: when the scan began (before its reads).
    ///   - lastSeen: the `lastSeen` of every other worker the scan read.
    ///   - timeout: the dead-worker timeout.
    ///   - heartbeat: the heartbeat interval (less than `timeout`).
    /// - Complexity: O(n) for n workers.
    static func next(after start: Date, lastSeen: [Date], timeout: Duration, heartbeat: Duration) -> Date {
        let latest = start.addingTimeInterval((timeout - heartbeat).timeInterval)
        let earliestDeath = lastSeen.min().map { $0.addingTimeInterval(timeout.timeInterval) } ?? latest
        return min(latest, earliestDeath)
    }
}
