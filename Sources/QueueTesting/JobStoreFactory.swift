import Queue

/// Opens the stores a conformance check runs against, all onto one database.
///
/// A check opens its first store onto an empty database. Checks of concurrent callers (claims,
/// exclusive inserts, cron ticks, dead workers) open a few more handles onto the same database
/// and spread their callers over them, as several processes sharing a database would: each
/// handle with its own connections, locks and caches. A store kept in memory has no other
/// handle and returns the same instance every time.
///
/// Give each check a factory onto a fresh database of its own, and close what the factory opened
/// once the check returns:
///
/// ```swift
/// struct MyStores: JobStoreFactory {
///     let path: String  // a new, empty file for each check
///     func openStore() async throws -> any JobStore { try MyJobStore(path: path) }
/// }
/// ```
public protocol JobStoreFactory: Sendable {
    /// Opens a store onto this factory's database. The check prepares it
    /// (``JobStore/prepare()`` is idempotent, so a prepared store does too).
    func openStore() async throws -> any JobStore
}

/// One store, whatever the check asks for: its concurrent callers share it.
struct SingleStoreFactory: JobStoreFactory {
    let store: any JobStore

    func openStore() async throws -> any JobStore { store }
}

extension JobStoreFactory {
    /// A store opened and prepared: what a check runs against.
    func openPrepared() async throws -> any JobStore {
        let store = try await openStore()
        try await store.prepare()
        return store
    }

    /// `count` stores opened and prepared one after the other, as processes starting in turn
    /// would: the first is the one a single-handle check would have used.
    func openPrepared(_ count: Int) async throws -> [any JobStore] {
        var stores: [any JobStore] = []
        for _ in 0..<count { stores.append(try await openPrepared()) }
        return stores
    }
}
