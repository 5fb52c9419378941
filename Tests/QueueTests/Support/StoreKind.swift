import Foundation
import Testing
@testable import Queue

/// The stores every processor test runs against.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, mongo

    var testDescription: String { rawValue }

    /// A fresh, prepared store; for MongoDB a database of its own (closed by `close`).
    func make() async throws -> (store: any JobStore, close: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (MemoryJobStore(), {})
        case .mongo:
            let database = try TestMongo.database(ioThreads: 4)
            let store = MongoJobStore(database: database, logger: .init(label: "test"))
            try await store.prepare()
            return (store, { database.close() })
        }
    }
}
