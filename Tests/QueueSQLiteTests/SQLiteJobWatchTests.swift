import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueSQLite
import QueueTestSupport

/// The SQLite file watch (``SQLiteJobWatch``): other processes' jobs reported without a poll.
/// Two stores on one file are two connections, as two processes would have.
@Suite("SQLiteJobWatch")
struct SQLiteJobWatchTests {
    @Test func aJobInsertedThroughAnotherConnectionIsReportedWithItsDueTime() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (watcher, writer) = try await Self.twoStores(on: file)
        let (watch, reports) = try await Self.watch(watcher)
        defer { watch.cancel() }
        let job = try await writer.insert(Fixture.job("send-mail", due: 30))
        _ = try await eventually("the watch to report the job's due time", timeout: .seconds(5)) {
            reports.all.contains(job.scheduledFor) ? true : nil
        }
    }

    @Test func jobsOutsideTheScopeAreNotReported() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (watcher, writer) = try await Self.twoStores(on: file)
        let (watch, reports) = try await Self.watch(watcher)
        defer { watch.cancel() }
        _ = try await writer.insert(Fixture.job("other-name", due: 30))
        // The write is seen (the read runs) but finds nothing in scope; then a job in scope
        // shows that the watch was live all along.
        let inScope = try await writer.insert(Fixture.job("send-mail", due: 60))
        _ = try await eventually("the job in scope to be reported", timeout: .seconds(5)) {
            reports.all.contains(inScope.scheduledFor) ? true : nil
        }
        #expect(reports.all.allSatisfy { $0 == inScope.scheduledFor }, "reported: \(reports.all)")
    }

    @Test func theWatchingProcesssOwnWritesAreNotReported() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (watcher, writer) = try await Self.twoStores(on: file)
        let (watch, reports) = try await Self.watch(watcher)
        defer { watch.cancel() }
        // Its own scheduling wakes its own worker directly; the watch skips its writes. A read
        // after the own insert would report its due time at once; 100 ms leaves it time to.
        let own = try await watcher.insert(Fixture.job("send-mail", due: 10))
        try await Task.sleep(for: .milliseconds(100))
        #expect(reports.count == 0, "reported after its own write: \(reports.all)")
        // Another connection's write is read, and then the earliest job is the own one.
        _ = try await writer.insert(Fixture.job("other-name"))
        _ = try await eventually("the other connection's write to be read", timeout: .seconds(5)) {
            reports.all.contains(own.scheduledFor) ? true : nil
        }
    }

    @Test func aBusyWorkersWatchLeavesTheDirectoryAndComesBackWhenWanted() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (watcher, writer) = try await Self.twoStores(on: file)
        let (watch, reports) = try await Self.watch(watcher)
        defer { watch.cancel() }
        let inotify = try #require(watch as? SQLiteJobWatch).inotifyDescriptor
        #expect(try Self.kernelWatches(inotify) == 1)
        watch.setWanted(false)  // a busy worker
        #expect(try Self.kernelWatches(inotify) == 0, "writes cost the kernel nothing for this watch")
        let unwatched = try await writer.insert(Fixture.job("send-mail", due: 60))
        watch.setWanted(true)  // idle again, before its read of the next due job
        #expect(try Self.kernelWatches(inotify) == 1)
        // The next write is reported, and its read finds the earliest job: the one written
        // while the directory was not watched.
        _ = try await writer.insert(Fixture.job("send-mail", due: 90))
        _ = try await eventually("the watch to report again", timeout: .seconds(5)) {
            reports.all.contains(unwatched.scheduledFor) ? true : nil
        }
    }

    @Test func nothingIsReportedAfterCancel() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (watcher, writer) = try await Self.twoStores(on: file)
        let (watch, reports) = try await Self.watch(watcher)
        watch.cancel()
        _ = try await writer.insert(Fixture.job("send-mail"))
        // A report would come within milliseconds; the control below bounds the wait.
        let (live, control) = try await Self.watch(watcher)
        defer { live.cancel() }
        _ = try await writer.insert(Fixture.job("send-mail", due: 5))
        _ = try await eventually("a live watch to report", timeout: .seconds(5)) { control.count > 0 ? true : nil }
        #expect(reports.count == 0)
    }

    @Test func aWorkerStartsAnotherProcesssJobWithoutWaitingForItsPoll() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let (workerStore, clientStore) = try await Self.twoStores(on: file)
        let started = Recorder<(id: ObjectId, at: Date)>()
        var configuration = QueueConfiguration.testing(store: workerStore, jobs: [
            "ping": JobDefinition { job, _ in
                started.append((job.id, Date()))
                return nil
            },
        ])
        configuration.pollInterval = .seconds(1) ... .seconds(1)  // a poll would take up to 1 s
        let worker = try RunningProcessor(configuration)
        // Another process's processor: its schedule wakes only itself, never this worker.
        let client = try JobProcessor(.testing(store: clientStore, jobs: ["ping": JobDefinition { _, _ in nil }]))
        _ = try await eventually("the worker to be up") { await worker.processor.health().isHealthy ? true : nil }
        for _ in 0..<3 {
            let job = try await client.schedule("ping")
            let run = try await eventually("the job to start", timeout: .seconds(5)) {
                started.all.first { $0.id == job.id }
            }
            let delay = run.at.timeIntervalSince(job.createdAt)
            // Polling alone would take 0-1 s (uniformly); three starts under 200 ms by chance: 1 in 125.
            #expect(delay < 0.2, "started \(delay) s after it was scheduled")
        }
        try await worker.stop()
    }

    /// A watch of `store` for `send-mail` jobs, and what it reports.
    private static func watch(_ store: SQLiteJobStore) async throws -> (any JobWatch, Recorder<Date>) {
        let reports = Recorder<Date>()
        let watch = try #require(await store.watchNewJobs(ClaimScope(workerId: ObjectId(), names: ["send-mail"])) {
            reports.append($0)
        })
        return (watch, reports)
    }

    /// How many watches the kernel holds for an inotify instance of this process (its
    /// `inotify wd:` lines in `/proc/self/fdinfo`).
    private static func kernelWatches(_ descriptor: Int32) throws -> Int {
        let info = try String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8)
        return info.split(separator: "\n").filter { $0.hasPrefix("inotify wd:") }.count
    }

    private static func twoStores(on file: TemporarySQLiteFile) async throws -> (SQLiteJobStore, SQLiteJobStore) {
        let first = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try await first.prepare()
        let second = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        return (first, second)
    }
}
