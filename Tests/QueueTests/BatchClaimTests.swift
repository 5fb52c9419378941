import Testing
@testable import Queue
@testable import QueueSQLite
import QueueTestSupport

/// How many jobs a batch claim takes per call, which the conformance suite leaves to each store
/// (the default and MongoDB may return fewer than are due): the memory and SQLite stores take
/// the whole batch at once, one lock or one transaction for it.
@Suite("Batch claims")
struct BatchClaimTests {
    @Test(arguments: [StoreKind.memory, .sqlite])
    func aBatchClaimTakesAsManyDueJobsAsItsLimitAllowsInOneCall(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            for index in 0..<5 { _ = try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "a" : "b", due: Double(-index))) }
            let scope = Fixture.scope("a", "b")
            var batches: [Int] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 3), !batch.isEmpty { batches.append(batch.count) }
            #expect(batches == [3, 2], "one round trip per batch")
        }
    }
}
