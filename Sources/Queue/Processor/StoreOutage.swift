import Loop
import BSON

/// Whether the store has been failing, so that a worker logs an outage once when it begins and
/// once when it ends, never at every retry of every call (SPEC §7 "Outages").
///
/// Failures that say the store is down or refusing (``JobStoreError/Code/unavailable``,
/// ``JobStoreError/Code/database``) count; a document or job that cannot be read or stored is
/// that document's problem, not an outage, and is logged where it happens.
struct StoreOutage: Sendable {
    /// When the current outage began; nil while the store answers.
    private(set) var since: LoopInstant?
    /// Failed calls in the current outage.
    private(set) var failures = 0

    /// Whether `error` is the store failing rather than one document being bad.
    static func counts(_ error: JobStoreError) -> Bool {
        error.code != .invalidDocument && error.code != .invalidJob
    }

    /// Records a failed call at `now`. Returns true when it begins an outage (log it once).
    mutating func failed(at now: LoopInstant) -> Bool {
        failures += 1
        guard since == nil else { return false }
        since = now
        return true
    }

    /// Records a call the store answered at `now`. Returns how long the outage lasted and how
    /// many calls failed in it when this ends one (log it once); nil otherwise.
    mutating func answered(at now: LoopInstant) -> (lasted: Duration, failures: Int)? {
        guard let since else { return nil }
        defer {
            self.since = nil
            failures = 0
        }
        return (now - since, failures)
    }
}
