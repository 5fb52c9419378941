import Foundation
import GRDB
import BSON
import Queue

/// Workers (table `workers`) and signals (table `signals`), one statement per operation.
extension SQLiteJobStore {
    /// One upsert: registering the same worker again replaces its fields.
    public func registerWorker(_ worker: WorkerRecord) async throws(JobStoreError) {
        let arguments = WorkerRow.arguments(worker)
        try await write("register worker \(worker.id)") { db in
            try db.execute(sql: WorkerRow.upsertSQL, arguments: arguments)
        }
    }

    /// One `UPDATE`; no row changed means the worker was declared dead and removed.
    public func heartbeat(_ workerId: ObjectId, at now: Date) async throws(JobStoreError) -> Bool {
        let arguments: StatementArguments = [SQLiteValues.milliseconds(now), workerId.description]
        return try await write("heartbeat of worker \(workerId)") { db in
            try db.execute(sql: "UPDATE workers SET last_seen = ? WHERE id = ?", arguments: arguments)
            return db.changesCount > 0
        }
    }

    /// One `DELETE` by id; removing an absent worker is no error.
    public func removeWorker(_ workerId: ObjectId) async throws(JobStoreError) {
        try await write("remove worker \(workerId)") { db in
            try db.execute(sql: "DELETE FROM workers WHERE id = ?", arguments: [workerId.description])
        }
    }

    /// Every worker, by id.
    public func workers() async throws(JobStoreError) -> [WorkerRecord] {
        let operation = "list workers"
        let (workers, unreadable) = try await read(operation) { db in
            var workers: [WorkerRecord] = []
            var unreadable: [JobStoreError] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM workers ORDER BY id") {
                do throws(JobStoreError) {
                    workers.append(try WorkerRow.decode(row, operation: operation))
                } catch {
                    // One bad worker row must not hide the others from crash recovery.
                    unreadable.append(error)
                    if let worker = WorkerRow.salvage(row) { workers.append(worker) }
                }
            }
            return (workers, unreadable)
        }
        for error in unreadable {
            logger.error("a worker row cannot be read; listing what can be", metadata: ["error": "\(error)"])
        }
        return workers
    }

    /// The unacknowledged signals of `workerId`, oldest first (by `created_at`, then id).
    public func pendingSignals(for workerId: ObjectId) async throws(JobStoreError) -> [SignalRecord] {
        let operation = "pending signals of worker \(workerId)"
        let (signals, unreadable) = try await read(operation) { db in
            let sql = "SELECT * FROM signals WHERE worker_id = ? AND ack = 0 ORDER BY created_at, id"
            var signals: [SignalRecord] = []
            var unreadable: [(id: DatabaseValue, error: JobStoreError)] = []
            for row in try Row.fetchAll(db, sql: sql, arguments: [workerId.description]) {
                do throws(JobStoreError) {
                    signals.append(try SignalRow.decode(row, operation: operation))
                } catch {
                    unreadable.append((row["id"], error))
                }
            }
            return (signals, unreadable)
        }
        for (id, error) in unreadable {
            // Acknowledged, so that it is reported once rather than block the others for ever.
            logger.error("a signal cannot be read; acknowledging it unread", metadata: ["error": "\(error)"])
            try await write("acknowledge unreadable signal") { db in
                try db.execute(sql: "UPDATE signals SET ack = 1 WHERE id = ?", arguments: [id])
            }
        }
        return signals
    }

    /// One `UPDATE` setting `ack`; an unknown signal is no error.
    public func acknowledgeSignal(_ id: ObjectId) async throws(JobStoreError) {
        try await write("acknowledge signal \(id)") { db in
            try db.execute(sql: "UPDATE signals SET ack = 1 WHERE id = ?", arguments: [id.description])
        }
    }
}
