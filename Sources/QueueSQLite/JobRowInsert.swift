import Foundation
import GRDB
import GRDBSQLite
import BSON
import Queue

/// Inserts a job's row with ``JobRow/insertSQL``, prepared once per connection (GRDB's
/// statement cache), its 22 values bound through SQLite's C API (``SQLiteBinding``): only the
/// payload's BSON bytes are allocated.
enum JobRowInsert {
    /// Inserts `job`'s row in the caller's write transaction.
    /// - Throws: a `DatabaseError` with SQLite's code and message when the row is refused
    ///   (`SQLITE_CONSTRAINT` for a stored id or an active exclusive twin); the transaction
    ///   goes on.
    static func run(_ db: Database, _ job: Job) throws {
        let handle = try db.cachedStatement(sql: JobRow.insertSQL).sqliteStatement
        // A column added to `JobRow.columns` but not bound here would keep the previous job's
        // value: refuse every insert instead.
        guard sqlite3_bind_parameter_count(handle) == 22 else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "JobRowInsert binds 22 columns, not those of JobRow.insertSQL")
        }
        typealias Bind = SQLiteBinding
        var bound = Bind.text(handle, 1, job.id.description)
        bound |= Bind.text(handle, 2, job.name)
        bound |= Bind.text(handle, 3, job.type.rawValue)
        bound |= Bind.text(handle, 4, job.status.rawValue)
        bound |= Bind.blob(handle, 5, job.payload.map(BSONWriter.encode))
        bound |= Bind.blob(handle, 6, job.output.map { BSONWriter.encode(JobDocument.encode($0)) })
        bound |= Bind.date(handle, 7, job.scheduledFor)
        bound |= Bind.date(handle, 8, job.startedAt)
        bound |= Bind.date(handle, 9, job.endedAt)
        bound |= Bind.date(handle, 10, job.updatedAt)
        bound |= Bind.date(handle, 11, job.createdAt)
        bound |= Bind.text(handle, 12, job.workerId?.description)
        bound |= Bind.integer(handle, 13, job.sync ? 1 : 0)
        bound |= Bind.text(handle, 14, job.cronString)
        bound |= Bind.text(handle, 15, job.concurrency.rawValue)
        bound |= Bind.blob(handle, 16, job.traceContext.map { [UInt8](JobRow.traceContext($0)) })
        bound |= Bind.integer(handle, 17, Int64(job.priority))
        bound |= Bind.date(handle, 18, job.expiresAt)
        bound |= Bind.text(handle, 19, job.uniqueKey)
        bound |= Bind.integer(handle, 20, Int64(job.attempts))
        bound |= Bind.integer(handle, 21, job.maxAttempts.map(Int64.init))
        bound |= Bind.blob(handle, 22, JobRow.attemptErrors(job.attemptErrors).map { [UInt8]($0) })
        try SQLiteBinding.run(db, handle, bound: bound)
    }
}
