import Foundation
import GRDB
import BSON
import Queue

/// Running jobs for crash recovery: one read of the columns recovery needs, each taken as it
/// is, so that a row whose payload, output or any other column cannot be read is still found.
extension SQLiteJobStore {
    /// One indexed read of running jobs, least recently updated first (``RunningJobReference``).
    public func runningJobs(_ selection: RunningJobSelection, limit: Int) async throws(JobStoreError) -> [RunningJobReference] {
        guard limit > 0 else { return [] }
        var sql = "SELECT id, name, worker_id, updated_at, sync FROM jobs WHERE status = 'running'"
        var arguments = StatementArguments()
        switch selection {
        case .ownedBy(let workerId):
            sql += " AND worker_id = ?"
            arguments += [workerId.description]
        case .orphaned(let live, let cutoff):
            // An unreadable time counts as old: such a row would otherwise never be recovered.
            sql += " AND (updated_at < ? OR typeof(updated_at) != 'integer')"
            arguments += [SQLiteValues.milliseconds(cutoff)]
            if !live.isEmpty {
                sql += " AND (worker_id IS NULL OR worker_id NOT IN (\(live.map { _ in "?" }.joined(separator: ", "))))"
                arguments += StatementArguments(live.map(\.description))
            }
        }
        sql += " ORDER BY updated_at, id LIMIT ?"
        arguments += [limit]
        return try await read("find running jobs") { [sql, arguments] db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap(RunningJobReference.init(row:))
        }
    }
}

extension RunningJobReference {
    /// The reference read from a row of `id, name, worker_id, updated_at, sync`; nil when `id`
    /// is not an ObjectId.
    init?(row: Row) {
        guard case .string(let idText) = (row[0] as DatabaseValue).storage, let id = ObjectId(idText) else { return nil }
        var name: String?
        if case .string(let text) = (row[1] as DatabaseValue).storage { name = text }
        var workerId: ObjectId?
        if case .string(let text) = (row[2] as DatabaseValue).storage { workerId = ObjectId(text) }
        var updatedAt: Date?
        if case .int64(let milliseconds) = (row[3] as DatabaseValue).storage { updatedAt = SQLiteValues.date(milliseconds) }
        var sync = false
        if case .int64(let flag) = (row[4] as DatabaseValue).storage { sync = flag == 1 }
        self.init(id: id, name: name, workerId: workerId, updatedAt: updatedAt, sync: sync)
    }
}
