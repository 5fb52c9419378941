import Foundation
import GRDB
import BSON
import Queue

/// Reads the columns of one row (a job, worker or signal) as the BSON values of the equivalent
/// MongoDB document, so that the MongoDB decoders (``JobDocument``, ``WorkerDocument``,
/// ``SignalDocument``) turn rows into models with the same rules and messages in both stores.
///
/// A column whose SQLite value cannot stand for its field (text in a date column, a BLOB that
/// is not BSON...) is a ``JobStoreError`` with code `invalidDocument` naming the row's id and
/// the column, never a trap: GRDB's typed subscripts would crash on such a value, so every
/// column is read as a `DatabaseValue` and checked here. Messages name columns and SQLite
/// storage classes, never values, so that payloads do not leak into logs.
struct SQLiteRowReader {
    private let row: Row
    /// What the row is, for messages: `job 6650c0ffee...`.
    let subject: String
    private let operation: String

    /// A reader for a row of kind `kind` (`job`, `worker`, `signal`) whose id is in column `id`,
    /// read while doing `operation` (which the errors carry).
    init(_ row: Row, kind: String, operation: String) {
        self.row = row
        self.operation = operation
        subject = Self.subject(of: row.hasColumn("id") ? row["id"] as DatabaseValue : .null, kind: kind)
    }

    /// The error for `column`, which `reason` describes.
    func invalid(_ column: String, _ reason: String) -> JobStoreError {
        Self.invalid(column, reason, subject: subject, operation: operation)
    }

    /// The error for `column` of the row of kind `kind` whose id is `id`, for a query that
    /// read only some columns.
    static func invalid(
        _ column: String, _ reason: String, id: DatabaseValue, kind: String, operation: String
    ) -> JobStoreError {
        invalid(column, reason, subject: subject(of: id, kind: kind), operation: operation)
    }

    private static func invalid(_ column: String, _ reason: String, subject: String, operation: String) -> JobStoreError {
        JobStoreError(.invalidDocument, operation: operation, reason: "\(subject): column \"\(column)\" \(reason)")
    }

    /// The stored value of `column`; NULL when the row has no such column.
    private func value(_ column: String) -> DatabaseValue {
        row.hasColumn(column) ? row[column] as DatabaseValue : .null
    }

    /// A TEXT column as a string (NULL as `.null`).
    func text(_ column: String) throws(JobStoreError) -> BSON {
        switch value(column).storage {
        case .null: .null
        case .string(let text): .string(text)
        case let other: throw invalid(column, "should be text, not \(Self.storageName(other))")
        }
    }

    /// A TEXT column holding an ObjectId's 24 hex digits. Other text is kept as a string, so
    /// that the decoder reports the field with its usual message.
    func objectId(_ column: String) throws(JobStoreError) -> BSON {
        guard case .string(let text) = try self.text(column) else { return .null }
        return ObjectId(text).map { .objectId($0) } ?? .string(text)
    }

    /// An INTEGER column of milliseconds since 1970 as a date.
    func date(_ column: String) throws(JobStoreError) -> BSON {
        switch value(column).storage {
        case .null: return .null
        case .int64(let milliseconds): return .date(SQLiteValues.date(milliseconds))
        case let other: throw invalid(column, "should be integer milliseconds, not \(Self.storageName(other))")
        }
    }

    /// An INTEGER column holding 0 or 1 as a boolean.
    func bool(_ column: String) throws(JobStoreError) -> BSON {
        switch value(column).storage {
        case .null: return .null
        case .int64(let flag) where flag == 0 || flag == 1: return .bool(flag == 1)
        case .int64: throw invalid(column, "should be 0 or 1")
        case let other: throw invalid(column, "should be an integer 0 or 1, not \(Self.storageName(other))")
        }
    }

    /// An INTEGER column as an int64 (NULL as null).
    func integer(_ column: String) throws(JobStoreError) -> BSON {
        switch value(column).storage {
        case .null: return .null
        case .int64(let number): return .int64(number)
        case let other: throw invalid(column, "should be an integer, not \(Self.storageName(other))")
        }
    }

    /// A BLOB column of BSON bytes as a document.
    func document(_ column: String) throws(JobStoreError) -> BSON {
        switch value(column).storage {
        case .null:
            return .null
        case .blob(let data):
            do { return .document(try BSONReader.decode([UInt8](data))) } catch {
                throw invalid(column, "should hold a BSON document: \(error.description)")
            }
        case let other:
            throw invalid(column, "should be a BLOB of BSON, not \(Self.storageName(other))")
        }
    }

    /// A TEXT column holding a JSON array of strings as an array.
    func stringList(_ column: String) throws(JobStoreError) -> BSON {
        guard case .string(let text) = try self.text(column) else { return .null }
        guard let strings = SQLiteValues.strings(fromJSON: text) else {
            throw invalid(column, "should be a JSON array of strings")
        }
        return .array(strings.map { .string($0) })
    }

    /// `job 6650...` for an ObjectId id; the kind and what is wrong with the id otherwise.
    private static func subject(of id: DatabaseValue, kind: String) -> String {
        switch id.storage {
        case .string(let text): ObjectId(text).map { "\(kind) \($0)" } ?? "\(kind) \"\(text.prefix(64))\""
        case .int64(let number): "\(kind) \(number)"
        case .null: "\(kind) without id"
        case let other: "\(kind) with an id of type \(storageName(other))"
        }
    }

    /// SQLite's name for a storage class, for messages.
    private static func storageName(_ storage: DatabaseValue.Storage) -> String {
        switch storage {
        case .null: "NULL"
        case .int64: "INTEGER"
        case .double: "REAL"
        case .string: "TEXT"
        case .blob: "BLOB"
        }
    }
}

/// Conversions between model values and the values stored in SQLite columns.
enum SQLiteValues {
    /// Milliseconds since 1970, rounded down and clamped, as BSON stores dates (the same
    /// conversion as the BSON writer's, so that both stores hold the same value).
    static func milliseconds(_ date: Date) -> Int64 { date.millisecondsSince1970 }

    /// The instant `milliseconds` after 1970, as the BSON reader reads it (total: any `Int64`).
    static func date(_ milliseconds: Int64) -> Date { Date(millisecondsSince1970: milliseconds) }

    /// The BSON bytes of `document`.
    static func blob(_ document: BSONDocument) -> Data { Data(BSONWriter.encode(document)) }

    /// `strings` as a JSON array (worker tags).
    static func json(_ strings: [String]) -> String {
        // Encoding an array of strings cannot fail.
        (try? JSONEncoder().encode(strings)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    /// The strings of a JSON array, or nil when `text` is not one.
    static func strings(fromJSON text: String) -> [String]? {
        try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
