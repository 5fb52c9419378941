import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import BSON
@testable import Queue
@testable import QueueSQLite
import QueueTestSupport

@Suite("SQLiteBusyWait")
struct SQLiteBusyWaitTests {
    @Test func shortSleepsComeFirstThenLongOnes() {
        #expect(SQLiteBusyWait.waited(afterTries: 0) == .zero)
        #expect(SQLiteBusyWait.waited(afterTries: 20) == .milliseconds(1))
        #expect(SQLiteBusyWait.waited(afterTries: 100) == .milliseconds(5))
        #expect(SQLiteBusyWait.waited(afterTries: 103) == .milliseconds(8))
    }

    @Test func theWaitGivesUpAtTheBusyTimeout() {
        // 100 short sleeps (5 ms), then 1 ms each: the timeout (5 s) is reached after 5,095.
        #expect(SQLiteBusyWait.waited(afterTries: 5_095) == .seconds(SQLiteJobStore.busyTimeout))
        #expect(!SQLiteBusyWait.retry(afterTries: 5_095), "past the timeout: SQLite reports SQLITE_BUSY")
        #expect(SQLiteBusyWait.retry(afterTries: 5_094))
    }

    @Test func aWriteWaitsForAnotherConnectionsLockAndThenGoesThrough() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try await store.prepare()
        // Another process's connection holds the write lock for 50 ms from when it has it.
        let other = try DatabaseQueue(path: file.path)
        let locked = Atomic(false)
        let holding = Task.detached {
            try other.inTransaction(.immediate) { _ in
                locked.store(true, ordering: .releasing)
                Thread.sleep(forTimeInterval: 0.05)
                return .commit
            }
        }
        _ = try await eventually("the other connection to hold the lock") { locked.load(ordering: .acquiring) ? true : nil }
        let job = try await store.insert(Fixture.job("send-mail"))
        try await holding.value
        #expect(try await store.job(id: job.id) == job)
    }
}
