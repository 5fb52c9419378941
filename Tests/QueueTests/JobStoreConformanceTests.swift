import Testing
import QueueTesting
@testable import Queue
import QueueTestSupport

/// The conformance suite of `QueueTesting` run against every store of this package, each check
/// on a fresh database. What the suite cannot check (schemas, indexes, documents other programs
/// wrote, round trips per call) is in each store's own tests.
@Suite("JobStore conformance")
struct JobStoreConformanceTests {
    @Test(arguments: JobStoreConformance.checks)
    func memoryStoreConforms(_ check: JobStoreConformance.Check) async throws {
        try await StoreKind.memory.withFactory { try await check.run($0) }
    }

    @Test(arguments: JobStoreConformance.checks)
    func mongoStoreConforms(_ check: JobStoreConformance.Check) async throws {
        try await StoreKind.mongo.withFactory { try await check.run($0) }
    }

    @Test(arguments: JobStoreConformance.checks)
    func mongoStoreOnTheExclusiveKeyIndexConforms(_ check: JobStoreConformance.Check) async throws {
        try await StoreKind.mongoExclusiveKey.withFactory { try await check.run($0) }
    }

    @Test(arguments: JobStoreConformance.checks)
    func sqliteStoreConforms(_ check: JobStoreConformance.Check) async throws {
        try await StoreKind.sqlite.withFactory { try await check.run($0) }
    }
}
