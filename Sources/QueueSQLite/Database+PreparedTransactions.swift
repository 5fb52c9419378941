import GRDB

/// Transactions and savepoints begun and ended by statements prepared once per connection
/// (GRDB's statement cache).
///
/// Why: GRDB's `inTransaction` and `inSavepoint` compile their `BEGIN`, `COMMIT`, `SAVEPOINT`
/// and `RELEASE` again at every call, a cost every one-job write (a scheduled job, a claim, an
/// ending) would pay. The store needs neither of the extras those methods carry (transaction
/// observers, the tracking of transactions aborted inside nested blocks).
extension Database {
    /// Runs `body` in an `IMMEDIATE` transaction, committed when it returns and rolled back
    /// when it or the commit throws. Must not be called inside a transaction.
    func inImmediateTransaction<Value>(_ body: () throws -> Value) throws -> Value {
        try cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let value = try body()
            try cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return value
        } catch {
            // SQLite may have rolled back already (a full disk, an I/O error): nothing to undo.
            if isInsideTransaction { try? rollback() }
            throw error
        }
    }

    /// Runs `body` in a savepoint of the caller's transaction: when `body` throws, its changes
    /// alone are undone and the transaction goes on.
    func inPreparedSavepoint<Value>(_ body: () throws -> Value) throws -> Value {
        try cachedStatement(sql: "SAVEPOINT job_processor").execute()
        do {
            let value = try body()
            try cachedStatement(sql: "RELEASE SAVEPOINT job_processor").execute()
            return value
        } catch {
            // When SQLite has rolled the whole transaction back, both fail and the caller's
            // commit reports it.
            try? cachedStatement(sql: "ROLLBACK TO SAVEPOINT job_processor").execute()
            try? cachedStatement(sql: "RELEASE SAVEPOINT job_processor").execute()
            throw error
        }
    }
}
