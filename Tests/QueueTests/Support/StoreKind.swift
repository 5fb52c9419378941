import Foundation
import Logging
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

extension StoreKind {
    /// The stores the processor tests run on (the fallback exclusivity index is a store detail,
    /// covered by the conformance suite).
    static let processorKinds: [StoreKind] = [.memory, .mongo, .sqlite]

    /// A fresh, prepared store, and what closes it, for tests that keep a store across tasks.
    func make() async throws -> (store: any JobStore, close: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (MemoryJobStore(), {})
        case .mongo, .mongoExclusiveKey:
            let database = try TestMongo.database(ioThreads: 4)
            let store = MongoJobStore(
                database: database, logger: Logger(label: "test.store"),
                exclusivity: self == .mongo ? .partialIndex : .exclusiveKeyField, retention: .fixtureSafe, workerExpiry: .fixtureSafe)
            try await store.prepare()
            return (store, { database.close() })
        case .sqlite:
            let file = TemporarySQLiteFile()
            let store = try SQLiteJobStore(path: file.path, logger: Logger(label: "test.store"))
            try await store.prepare()
            return (store, { file.remove() })
        }
    }
}
