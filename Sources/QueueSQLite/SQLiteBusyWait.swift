import Foundation
import BSON
import Queue

/// How a connection waits for another connection's write lock: sleeps of 50 µs for the first
/// 5 ms, then of 1 ms, for up to ``SQLiteJobStore/busyTimeout`` in all; past it the call fails
/// with `unavailable`.
///
/// Why not SQLite's own busy handler: it sleeps 1, 2, 5, 10, ... ms. Workers that learn of a
/// new job at the same moment (the file watch tells them all) race for the lock; the losers
/// then slept at least 1 ms, and often 1 + 2 + 5 ms, behind a claim that holds the lock for
/// about 0.1 ms, and the enqueuing process's next insert waited the same way. Short sleeps
/// first serve the usual wait; the longer ones keep a long wait (another process's big
/// transaction) from spinning.
enum SQLiteBusyWait {
    /// Sleeps this short while the wait is young.
    static let shortSleep = Duration.microseconds(50)
    /// How many short sleeps come first (5 ms of waiting).
    static let shortSleeps = 100
    /// Sleeps this long afterwards.
    static let longSleep = Duration.milliseconds(1)

    /// How long a connection has waited after `tries` sleeps.
    static func waited(afterTries tries: Int) -> Duration {
        let short = min(tries, shortSleeps)
        return shortSleep * short + longSleep * max(0, tries - shortSleeps)
    }

    /// GRDB's busy callback: sleeps and returns `true` (try again) until ``SQLiteJobStore/busyTimeout``
    /// has passed, then returns `false` (SQLite reports `SQLITE_BUSY`).
    static func retry(afterTries tries: Int) -> Bool {
        guard waited(afterTries: tries) < .seconds(SQLiteJobStore.busyTimeout) else { return false }
        let sleep = tries < shortSleeps ? shortSleep : longSleep
        usleep(UInt32(sleep / .microseconds(1)))
        return true
    }
}
