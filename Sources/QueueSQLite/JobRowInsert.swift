import Foundation
import GRDB
import GRDBSQLite
import BSON
import Queue

/// Inserts a job's row with ``JobRow/insertSQL``, prepared once per connection (GRDB's
/// statement cache), its 16 values bound straight through SQLite's C API.
///
/// Why: binding through GRDB's `StatementArguments` boxes each value in an existential,
/// copies each string into a `DatabaseValue` and nests a closure per value, which costs more
/// than SQLite's own insert of a small row. Here each value is bound from
/// the job's own storage (SQLite copies it), and only the payload's BSON bytes are allocated.
/// GRDB's bookkeeping around a statement (database observation, region tracking) concerns
/// observers and reads that the store never installs or runs on this statement.
enum JobRowInsert {
    /// Inserts `job`'s row in the caller's write transaction.
    /// - Throws: a `DatabaseError` with SQLite's code and message when the row is refused
    ///   (`SQLITE_CONSTRAINT` for a stored id or an active exclusive twin); the transaction
    ///   goes on, as after GRDB's own execution of a failed statement.
    static func run(_ db: Database, _ job: Job) throws {
        let handle = try db.cachedStatement(sql: JobRow.insertSQL).sqliteStatement
        // A column added to `JobRow.columns` but not bound here would keep the previous job's
        // value: refuse every insert instead.
        guard sqlite3_bind_parameter_count(handle) == 16 else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "JobRowInsert binds 16 columns, not those of JobRow.insertSQL")
        }
        defer { sqlite3_reset(handle) }
        var code = bindText(handle, 1, job.id.description)
        code |= bindText(handle, 2, job.name)
        code |= bindText(handle, 3, job.type.rawValue)
        code |= bindText(handle, 4, job.status.rawValue)
        if let payload = job.payload {
            code |= bindBlob(handle, 5, BSONWriter.encode(payload))
        } else {
            code |= sqlite3_bind_null(handle, 5)
        }
        if let output = job.output {
            code |= bindBlob(handle, 6, BSONWriter.encode(JobDocument.encode(output)))
        } else {
            code |= sqlite3_bind_null(handle, 6)
        }
        code |= bindDate(handle, 7, job.scheduledFor)
        code |= bindDate(handle, 8, job.startedAt)
        code |= bindDate(handle, 9, job.endedAt)
        code |= bindDate(handle, 10, job.updatedAt)
        code |= bindDate(handle, 11, job.createdAt)
        if let workerId = job.workerId {
            code |= bindText(handle, 12, workerId.description)
        } else {
            code |= sqlite3_bind_null(handle, 12)
        }
        code |= sqlite3_bind_int64(handle, 13, job.sync ? 1 : 0)
        if let cronString = job.cronString {
            code |= bindText(handle, 14, cronString)
        } else {
            code |= sqlite3_bind_null(handle, 14)
        }
        code |= bindText(handle, 15, job.concurrency.rawValue)
        if let traceContext = job.traceContext {
            code |= bindBlob(handle, 16, [UInt8](JobRow.traceContext(traceContext)))
        } else {
            code |= sqlite3_bind_null(handle, 16)
        }
        // SQLITE_OK is 0: any failed binding leaves a bit set.
        guard code == SQLITE_OK, sqlite3_step(handle) == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: db.lastErrorMessage)
        }
    }

    /// SQLite's `SQLITE_TRANSIENT`: it copies the value before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private static func bindText(_ handle: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { utf8 in
            // An empty buffer may have no address, which SQLite would bind as NULL.
            utf8.isEmpty
                ? sqlite3_bind_text(handle, index, "", 0, transient)
                : sqlite3_bind_text(handle, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    Int32(utf8.count), transient)
        }
    }

    private static func bindBlob(_ handle: OpaquePointer, _ index: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
    }

    /// Milliseconds since 1970 (``SQLiteValues/milliseconds(_:)``), or NULL.
    private static func bindDate(_ handle: OpaquePointer, _ index: Int32, _ date: Date?) -> Int32 {
        guard let date else { return sqlite3_bind_null(handle, index) }
        return sqlite3_bind_int64(handle, index, SQLiteValues.milliseconds(date))
    }
}
