import Foundation
import GRDB
import Glibc
import Logging
import Synchronization
import BSON
import Queue

/// Tells a worker, within a few milliseconds, that another process may have scheduled a job
/// in the SQLite file: SQLite's counterpart of a MongoDB change stream (SPEC §5), so that
/// workers on one host need not poll every few milliseconds to start other processes' jobs
/// at once.
///
/// How: every commit, by any process, writes to the file's write-ahead log (`<file>-wal`).
/// A thread of its own waits on an inotify watch of the file's directory (the log is created
/// and removed as connections come and go, so the directory is what can be watched for its
/// whole life); after each burst of writes to the log it reads the earliest claimable job in
/// the scope (one indexed read, no lock taken) and reports its `scheduled_for`. The scheduler
/// claims at once when that is due, or arms its due-time timer for it. Bursts are coalesced:
/// writes made while a read runs are answered by the next read, never one read each.
///
/// Writes of this process (its own claims and endings) wake the thread too, but are told apart
/// by SQLite's `data_version` on the process's writing connection, which only other
/// connections' commits change: they cost no read (reading after each of its own writes took
/// ~0.3 ms off an idle worker's start times, the read competing with the job being started).
/// While the worker is busy (its last claim found jobs, see ``setWanted(_:)``) the directory
/// is not watched at all. Polling goes on regardless, so a missed event (inotify's queue
/// overflowing) delays a job by one poll at most.
final class SQLiteJobWatch: JobWatch {
    private let stopped = Atomic(false)
    /// Whether the worker wants reports. A busy worker's watch reads nothing (a read after
    /// every write costs busy workers a large share of their throughput) and is removed from the directory
    /// (see ``Watching``).
    private let wanted = Atomic(true)

    /// The inotify instance and its watch of the directory, while there is one.
    ///
    /// Why the watch is removed while the worker is busy rather than only ignored: the kernel
    /// queues an event for every watcher at every write to the log, two writes per page
    /// committed, and that cost the busy writers of two workers ~7% of their time (profiled:
    /// `__fsnotify_parent` under `pwrite`); with no watch on the directory, a write skips it.
    private struct Watching {
        let descriptor: Int32
        let directory: String
        /// The watch descriptor, nil while removed.
        var watch: Int32?
        /// The thread has closed `descriptor`: it must not be used again (its number may have
        /// been reused).
        var closed = false
        /// Adding the watch back failed once already (logged once, not at every idle turn).
        var addFailureLogged = false
    }

    private let watching: Mutex<Watching>
    private let logger: Logger

    /// How long one wait for events may block: how long the thread may outlive ``cancel()``.
    static let maxWaitMilliseconds: Int32 = 500

    /// Starts watching the directory of `path`, or fails with the system's reason when inotify
    /// cannot watch it. Writes by other connections before this call are not reported
    /// (the worker's claims find those jobs); the ones after it are.
    static func open(
        path: String, pool: DatabasePool, scope: ClaimScope, logger: Logger,
        onNewJob: @escaping @Sendable (Date) -> Void
    ) async -> Result<SQLiteJobWatch, JobStoreError> {
        let baseline: Int? = await withCheckedContinuation { continuation in
            pool.asyncWriteWithoutTransaction { db in
                continuation.resume(returning: try? Int.fetchOne(db, sql: "PRAGMA data_version"))
            }
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let log = url.lastPathComponent + "-wal"
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            return .failure(JobStoreError(.unavailable, operation: "watch \(path)", reason: String(cString: strerror(errno))))
        }
        let added = inotify_add_watch(descriptor, directory, Self.events)
        guard added >= 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            return .failure(JobStoreError(.unavailable, operation: "watch \(directory)", reason: reason))
        }
        let watch = SQLiteJobWatch(Watching(descriptor: descriptor, directory: directory, watch: added), logger: logger)
        let thread = Thread { [watch] in
            defer { watch.close() }
            watch.run(
                descriptor: descriptor, log: log, pool: pool, baseline: baseline, scope: scope, logger: logger,
                onNewJob: onNewJob)
        }
        thread.name = "job-processor-watch"
        thread.start()
        return .success(watch)
    }

    /// What is watched in the directory: writes to files (the log), and files created or moved
    /// in (the log, when it is created again).
    private static let events = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO)

    private init(_ watching: Watching, logger: Logger) {
        self.watching = Mutex(watching)
        self.logger = logger
    }

    /// Stops delivering at once, without blocking; the thread ends within
    /// ``maxWaitMilliseconds``.
    func cancel() {
        stopped.store(true, ordering: .releasing)
    }

    /// Reports are wanted or not: the directory's watch is added back first, or removed. If it
    /// cannot be added back (logged once), polling alone finds other processes' jobs until it
    /// can.
    func setWanted(_ wanted: Bool) {
        watching.withLock { state in
            guard !state.closed else { return }
            if wanted, state.watch == nil {
                let added = inotify_add_watch(state.descriptor, state.directory, Self.events)
                if added >= 0 {
                    state.watch = added
                } else if !state.addFailureLogged {
                    let reason = String(cString: strerror(errno))
                    state.addFailureLogged = true
                    logger.warning("cannot watch the database file's directory again: other processes' jobs are found by polling",
                                   metadata: ["directory": "\(state.directory)", "error": "\(reason)"])
                }
            } else if !wanted, let current = state.watch {
                inotify_rm_watch(state.descriptor, current)
                state.watch = nil
            }
        }
        self.wanted.store(wanted, ordering: .releasing)
    }

    /// The inotify instance's file descriptor (tests read its watches in `/proc`).
    var inotifyDescriptor: Int32 { watching.withLock { $0.descriptor } }

    /// Closes the inotify instance (the thread's last act).
    private func close() {
        watching.withLock { state in
            state.closed = true
            Glibc.close(state.descriptor)
        }
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Waits for writes to the log and reports the earliest claimable job after each burst,
    /// until cancelled.
    private func run(
        descriptor: Int32, log: String, pool: DatabasePool, baseline: Int?, scope: ClaimScope, logger: Logger,
        onNewJob: @Sendable (Date) -> Void
    ) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var readFailureLogged = false
        var othersVersion = baseline
        while !isStopped {
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&waiting, 1, Self.maxWaitMilliseconds) > 0, !isStopped else { continue }
            guard Self.drain(descriptor, into: &buffer, mentioning: log), wanted.load(ordering: .acquiring) else { continue }
            do {
                // `data_version` on this process's writing connection changes only with other
                // connections' commits: when it has not moved, the writes were this process's
                // own (its claims and endings), and there is nothing new to read.
                let version = try pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA data_version") }
                guard version != othersVersion else { continue }
                othersVersion = version
                let due = try pool.read { db in try SQLiteJobStore.earliestDue(db, names: scope.names, operation: "watch new jobs") }
                if let due, !isStopped { onNewJob(due) }
                readFailureLogged = false
            } catch {
                // Polling still finds the jobs; say so once per run of failures.
                if !readFailureLogged {
                    logger.warning("could not read the next due job after a write (polling continues)",
                                   metadata: ["error": "\(JobStoreError(sqlite: error, operation: "watch new jobs"))"])
                    readFailureLogged = true
                }
            }
        }
    }

    /// Reads every queued inotify event; returns whether one concerns the file named `log` (or
    /// the queue overflowed, which may have lost one).
    private static func drain(_ descriptor: Int32, into buffer: inout [UInt8], mentioning log: String) -> Bool {
        var relevant = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return relevant }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                let header = MemoryLayout<inotify_event>.size
                while offset + header <= count {
                    let event = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                        relevant = true
                    } else if event.len > 0 {
                        let name = bytes[(offset + header)..<(offset + header + Int(event.len))].prefix { $0 != 0 }
                        if name.elementsEqual(log.utf8) { relevant = true }
                    }
                    offset += header + Int(event.len)
                }
            }
        }
    }
}
