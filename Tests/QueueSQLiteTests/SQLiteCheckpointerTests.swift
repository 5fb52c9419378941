import Foundation
import GRDB
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueSQLite
import QueueTestSupport

/// The write-ahead log of a store's file is copied back in the background once it holds half
/// the checkpoint size, and stays bounded when commits never pause.
@Suite("SQLiteCheckpointer")
struct SQLiteCheckpointerTests {
    @Test func commitsPastHalfTheCheckpointSizeHaveTheLogCopiedInTheBackground() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try await store.prepare()
        let pageSize = try await pageSize(store)
        #expect(store.checkpointer.completed == 0)
        // Each insert commits a few pages (the row and its index entries): insert until the
        // log holds half the checkpoint size, which requests a checkpoint, then no more.
        var inserts = 0
        while walPages(file.path, pageSize: pageSize) < SQLiteCheckpointer.backgroundPages, inserts < 1_000 {
            _ = try await store.insert(Fixture.job("send-mail", createdAt: Double(inserts)))
            inserts += 1
        }
        let pages = walPages(file.path, pageSize: pageSize)
        #expect(pages >= SQLiteCheckpointer.backgroundPages && pages < SQLiteJobStore.walCheckpointPages,
                "the log grew to \(pages) pages")
        _ = try await eventually("a background checkpoint") { store.checkpointer.completed > 0 ? true : nil }
    }

    @Test func theLogStaysBoundedWhileCommitsNeverPause() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try await store.prepare()
        let pageSize = try await pageSize(store)
        // ~6 pages per one-job commit: some 10 times the checkpoint size in all.
        for index in 0..<2_000 {
            _ = try await store.insert(Fixture.job("send-mail", createdAt: Double(index)))
        }
        let largest = walPages(file.path, pageSize: pageSize)
        #expect(largest > SQLiteCheckpointer.backgroundPages)
        // Without the commit's own checkpoint the log grows to some 14 times the checkpoint size
        // here; with it, it stays within a few, more when a loaded machine delays the checkpoints
        // (up to 4.9 times seen while other builds ran).
        #expect(largest <= 6 * SQLiteJobStore.walCheckpointPages, "the log grew to \(largest) pages")
    }

    /// The pages the log file has room for: its size (less its header) over the size of a frame
    /// (a page and its header). The file is reused from its start after a complete checkpoint
    /// and never shrunk, so this is the most it has held since it was created.
    private func walPages(_ path: String, pageSize: Int) -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "-wal")
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        return max(0, size - 32) / (pageSize + 24)
    }

    private func pageSize(_ store: SQLiteJobStore) async throws -> Int {
        try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096 }
    }
}
