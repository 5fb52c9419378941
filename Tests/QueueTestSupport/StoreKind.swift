import Foundation
import Logging
import Synchronization
import Testing
import QueueTesting
import BSON
import Queue
import QueueMongo
import QueueSQLite

/// The stores of this package, as tests make them: each test gets a fresh, prepared store (a
/// MongoDB one gets its own database).
public enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// ``MemoryJobStore``.
    case memory
    /// ``MongoJobStore`` with the partial unique index for exclusive names.
    case mongo
    /// ``MongoJobStore`` forced onto the fallback index on `exclusive_key`, as it runs on a
    /// server that refuses partial indexes.
    case mongoExclusiveKey
    /// ``SQLiteJobStore`` on a temporary file of its own, removed after the test.
    case sqlite

    public var testDescription: String { rawValue }

    /// The stores the processor tests run on (the fallback exclusivity index is a store detail,
    /// covered by the conformance suite).
    public static let processorKinds: [StoreKind] = [.memory, .mongo, .sqlite]

    /// Runs `body` with a fresh, prepared store of this kind.
    public func withStore(_ body: (any JobStore) async throws -> Void) async throws {
        switch self {
        case .memory:
            let store = MemoryJobStore()
            try await store.prepare()
            try await body(store)
        case .mongo, .mongoExclusiveKey:
            let database = try TestMongo.database()
            defer { database.close() }
            let store = mongoStore(on: database, logger: Logger.silent)
            try await store.prepare()
            try await body(store)
        case .sqlite:
            let file = TemporarySQLiteFile()
            defer { file.remove() }
            let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
            try await store.prepare()
            try await body(store)
        }
    }

    /// A fresh, prepared store, and what closes it, for tests that keep a store across tasks.
    public func make() async throws -> (store: any JobStore, close: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (MemoryJobStore(), {})
        case .mongo, .mongoExclusiveKey:
            let database = try TestMongo.database(ioThreads: 4)
            let store = mongoStore(on: database, logger: Logger(label: "test.store"))
            try await store.prepare()
            return (store, { database.close() })
        case .sqlite:
            let file = TemporarySQLiteFile()
            let store = try SQLiteJobStore(path: file.path, logger: Logger(label: "test.store"))
            try await store.prepare()
            return (store, { file.remove() })
        }
    }

    /// Runs `body` with a factory onto a fresh, empty database of this kind (the same instance
    /// every time for memory, a new connection pool onto one database for MongoDB, a new
    /// connection to one file for SQLite), then closes every store it opened.
    public func withFactory(_ body: (any JobStoreFactory) async throws -> Void) async throws {
        let factory: OpeningFactory
        var removeFile: () -> Void = {}
        switch self {
        case .memory:
            let store = MemoryJobStore()
            factory = OpeningFactory { (store, {}) }
        case .mongo, .mongoExclusiveKey:
            let name = TestMongo.uniqueDatabaseName()
            factory = OpeningFactory {
                let database = try TestMongo.database(named: name)
                return (mongoStore(on: database, logger: Logger.silent), { database.close() })
            }
        case .sqlite:
            let file = TemporarySQLiteFile()
            removeFile = file.remove
            factory = OpeningFactory { (try SQLiteJobStore(path: file.path, logger: Logger.silent), {}) }
        }
        defer {
            factory.closeAll()
            removeFile()
        }
        try await body(factory)
    }

    /// A MongoDB store of this kind on `database`.
    private func mongoStore(on database: MongoDatabase, logger: Logger) -> MongoJobStore {
        MongoJobStore(
            database: database, logger: logger,
            exclusivity: self == .mongoExclusiveKey ? .exclusiveKeyField : .partialIndex, retention: .fixtureSafe,
            workerExpiry: .fixtureSafe)
    }
}

/// A ``JobStoreFactory`` that opens stores with a closure and keeps what closes each.
private final class OpeningFactory: JobStoreFactory {
    private let open: @Sendable () throws -> (any JobStore, close: @Sendable () -> Void)
    /// What closes each store opened so far.
    private let closers = Mutex<[@Sendable () -> Void]>([])

    public init(_ open: @escaping @Sendable () throws -> (any JobStore, close: @Sendable () -> Void)) {
        self.open = open
    }

    public func openStore() async throws -> any JobStore {
        let (store, close) = try open()
        closers.withLock { $0.append(close) }
        return store
    }

    /// Closes every store opened so far.
    public func closeAll() {
        let closers = closers.withLock { closers in
            defer { closers = [] }
            return closers
        }
        closers.forEach { $0() }
    }
}
