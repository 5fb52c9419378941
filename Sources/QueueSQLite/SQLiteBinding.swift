import Foundation
import GRDB
import GRDBSQLite

/// Values bound, and a statement run, through SQLite's C API on a statement GRDB prepared once
/// per connection (its statement cache): the store's statements run once per job (a new job's
/// row, a claim, an ending).
///
/// Why: binding through GRDB's `StatementArguments` boxes each value in an existential, copies
/// each string into a `DatabaseValue` and nests a closure per value, which costs more than
/// SQLite's own work on a one-row statement. Here each value is bound from its own storage with
/// `SQLITE_TRANSIENT` (SQLite copies it before the call returns). GRDB's bookkeeping around a
/// statement (database observation, region tracking) concerns observers and reads that the
/// store never installs or runs on these statements.
///
/// Each binder returns SQLite's result code; callers combine them with `|` (`SQLITE_OK` is 0, so
/// any failure leaves a bit set) and hand the result to ``run(_:_:bound:)``.
enum SQLiteBinding {
    /// Binds `text` (its UTF-8, NUL characters included) as TEXT.
    static func text(_ handle: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { utf8 in
            // An empty buffer may have no address, which SQLite would bind as NULL.
            utf8.isEmpty
                ? sqlite3_bind_text(handle, index, "", 0, transient)
                : sqlite3_bind_text(handle, index, UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                    Int32(utf8.count), transient)
        }
    }

    /// Binds `text`, or NULL.
    static func text(_ handle: OpaquePointer, _ index: Int32, _ text: String?) -> Int32 {
        guard let text else { return sqlite3_bind_null(handle, index) }
        return self.text(handle, index, text)
    }

    /// Binds `bytes` as a BLOB, or NULL.
    static func blob(_ handle: OpaquePointer, _ index: Int32, _ bytes: [UInt8]?) -> Int32 {
        guard let bytes else { return sqlite3_bind_null(handle, index) }
        // An empty array may have no address, which SQLite would bind as NULL.
        guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
        return bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
    }

    /// Binds `value` as INTEGER, or NULL.
    static func integer(_ handle: OpaquePointer, _ index: Int32, _ value: Int64?) -> Int32 {
        guard let value else { return sqlite3_bind_null(handle, index) }
        return sqlite3_bind_int64(handle, index, value)
    }

    /// Binds `date` as INTEGER milliseconds since 1970 (``SQLiteValues/milliseconds(_:)``), or
    /// NULL.
    static func date(_ handle: OpaquePointer, _ index: Int32, _ date: Date?) -> Int32 {
        integer(handle, index, date.map(SQLiteValues.milliseconds))
    }

    /// Binds a value read from the database, as it was stored.
    static func value(_ handle: OpaquePointer, _ index: Int32, _ value: DatabaseValue) -> Int32 {
        switch value.storage {
        case .null: sqlite3_bind_null(handle, index)
        case .int64(let integer): sqlite3_bind_int64(handle, index, integer)
        case .double(let double): sqlite3_bind_double(handle, index, double)
        case .string(let string): text(handle, index, string)
        case .blob(let data): blob(handle, index, [UInt8](data))
        }
    }

    /// Runs the statement `handle` of `db`, whose values are bound with the combined result
    /// `bound`, to its end, and resets it.
    /// - Throws: a `DatabaseError` with SQLite's extended code and message when a binding or the
    ///   statement failed (`SQLITE_CONSTRAINT` for a refused row); a transaction around it goes
    ///   on, as after GRDB's own execution of a failed statement.
    static func run(_ db: Database, _ handle: OpaquePointer, bound: Int32) throws {
        defer { sqlite3_reset(handle) }
        guard bound == SQLITE_OK, sqlite3_step(handle) == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)), message: db.lastErrorMessage)
        }
    }

    /// SQLite's `SQLITE_TRANSIENT`: it copies the value before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}
