import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization
import BSON
import Queue

/// Copies the write-ahead log back into the database file on a connection and a thread of its
/// own, so that a commit rarely waits for it.
///
/// Why: SQLite's automatic checkpoint runs on the connection that commits, once the log holds
/// ``SQLiteJobStore/walCheckpointPages`` pages, and that commit returns only after the copy
/// and its two fsyncs: ~20 ms on this project's machine. Every ~150th one-job `schedule`
/// paid it, and a cron tick that came just then started that late. Here each writing
/// connection reports its commits through `sqlite3_wal_hook`: from half that size on, a
/// background checkpoint is requested (at most one queued); a commit itself checkpoints only
/// when the log reaches the full size, as SQLite would have, and then finds most pages
/// already copied, or the background checkpoint still running (SQLite then skips its own).
/// So the log stays as bounded as before, while under a light load no commit waits.
///
/// The log file is reused from its start only once a checkpoint has copied every page in it;
/// a passive checkpoint (the only kind used here) never waits for or blocks readers and
/// writers, in this process or another.
final class SQLiteCheckpointer: Sendable {
    /// The database file.
    let path: String
    /// `PRAGMA synchronous` for the checkpoint's connection: what the store's commits use.
    private let synchronous: String
    /// This checkpointer's key in ``registry`` (the hook's context).
    private let key: Int
    private let logger: Logger
    /// The connection used for checkpoints, opened at the first one. Only ``queue`` uses it;
    /// the mutex is what lets this class be `Sendable` without an unchecked claim.
    private let connection = Mutex<DatabaseQueue?>(nil)
    /// A failure other than another checkpoint running was logged (once: the commits' own
    /// checkpoint still bounds the log).
    private let failureLogged = Atomic(false)
    /// A checkpoint is queued and has not started yet: further requests add nothing.
    private let queued = Atomic(false)
    /// Background checkpoints completed (tests read it).
    private let completedCount = Atomic(0)
    private let queue = DispatchQueue(label: "job-processor.checkpoint", qos: .utility)

    /// From how many pages in the log a commit requests a background checkpoint.
    static let backgroundPages = SQLiteJobStore.walCheckpointPages / 2

    init(path: String, synchronous: String, logger: Logger) {
        self.path = path
        self.synchronous = synchronous
        self.logger = logger
        key = Self.registry.withLock { registry in
            registry.next += 1
            return registry.next
        }
        Self.registry.withLock { [key] in $0.checkpointers[key] = Weak(self) }
    }

    deinit {
        Self.registry.withLock { _ = $0.checkpointers.removeValue(forKey: key) }
    }

    /// Background checkpoints completed so far.
    var completed: Int { completedCount.load(ordering: .acquiring) }

    /// Installs the commit hook on `db` (any connection of the store; only writing ones ever
    /// call it). Replaces SQLite's automatic checkpoint on that connection.
    func installHook(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, Self.hook, UnsafeMutableRawPointer(bitPattern: key))
    }

    /// Queues a background checkpoint unless one is already queued. Any thread.
    func request() {
        guard !queued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { self.checkpoint() }
    }

    /// One passive checkpoint on this checkpointer's connection. A failure is left to the next
    /// request and to the commits' own checkpoint at the full size: `SQLITE_BUSY` (another
    /// connection's checkpoint is running) silently, any other once in the log.
    private func checkpoint() {
        queued.store(false, ordering: .releasing)
        do {
            let database = try connection.withLock { connection in
                if let connection { return connection }
                var configuration = Configuration()
                configuration.label = "job-processor.checkpoint"
                let synchronous = synchronous
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
                let opened = try DatabaseQueue(path: path, configuration: configuration)
                connection = opened
                return opened
            }
            try database.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
            completedCount.add(1, ordering: .releasing)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            // Another connection is checkpointing this file: nothing to add.
        } catch {
            guard !failureLogged.exchange(true, ordering: .relaxed) else { return }
            logger.warning("background checkpoint failed; commits checkpoint the log themselves",
                           metadata: ["path": "\(path)", "error": "\(JobStoreError(sqlite: error, operation: "checkpoint \(path)"))"])
        }
    }

    // MARK: The commit hook

    /// Called by SQLite after each commit of a connection with the hook, with the number of
    /// pages in the log; returns `SQLITE_OK` (the commit is done whatever happens here).
    private static let hook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
        context, db, name, pages in
        if pages >= SQLiteJobStore.walCheckpointPages {
            // What SQLite's automatic checkpoint does; SQLITE_BUSY while another runs.
            _ = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if pages >= backgroundPages {
            let key = Int(bitPattern: context)
            registry.withLock { $0.checkpointers[key]?.value }?.request()
        }
        return SQLITE_OK
    }

    /// The live checkpointers by key: the hook's context is a key, not a pointer, so that a
    /// connection outliving its store finds none rather than a freed object.
    private struct Registry {
        var next = 0
        var checkpointers: [Int: Weak] = [:]
    }

    private struct Weak {
        weak var value: SQLiteCheckpointer?
        init(_ value: SQLiteCheckpointer) { self.value = value }
    }

    private static let registry = Mutex(Registry())
}
