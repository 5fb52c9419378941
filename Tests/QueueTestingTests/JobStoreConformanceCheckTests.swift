import Synchronization
import Testing
import Queue
import QueueTesting

/// The suite's machinery, on the memory store: how a check reports a broken rule, what it asks
/// of a factory, and that its failures and the store's errors reach the caller. The checks
/// themselves run against every store in `QueueTests/JobStoreConformanceTests.swift`.
@Suite("JobStoreConformance.Check")
struct JobStoreConformanceCheckTests {
    @Test func everyCheckHasANameOfItsOwn() {
        let names = JobStoreConformance.checks.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { !$0.isEmpty && $0.description == $0 })
    }

    @Test func aFailedExpectationNamesItsCheckWhatItExpectedWhatItFoundAndWhere() async throws {
        let check = JobStoreConformance.Check("twoJobsAreStored") { stores in
            let store = try await stores.openStore()
            let count = try await store.jobs(matching: JobQuery()).count
            try JobStoreConformance.expect(count, equals: 2, "both inserts kept")
        }
        let failure = try await #require(throws: ConformanceFailure.self) { try await check.run(MemoryJobStore()) }
        #expect(failure.check == "twoJobsAreStored")
        #expect(failure.expected == "2 (both inserts kept)")
        #expect(failure.found == "0")
        #expect(failure.fileID == "QueueTestingTests/JobStoreConformanceCheckTests.swift")
        #expect(failure.description == "twoJobsAreStored: expected 2 (both inserts kept), found 0 (\(failure.fileID):\(failure.line))")
    }

    @Test func optionalsAreShownAsTheirValuesAndNil() throws {
        let failure = #expect(throws: ConformanceFailure.self) {
            try JobStoreConformance.expect(Optional("found"), equals: nil)
        }
        #expect(failure?.expected == "nil")
        #expect(failure?.found == "found")
        #expect(failure?.check == nil, "raised outside a check")
    }

    @Test func requireGivesTheValueOrFailsOnNil() throws {
        #expect(try JobStoreConformance.require(Optional(3)) == 3)
        let failure = #expect(throws: ConformanceFailure.self) { try JobStoreConformance.require(Int?.none, "the count") }
        #expect(failure?.expected == "the count")
        #expect(failure?.found == "nil")
    }

    @Test func expectingAnErrorGivesItBackOrFailsWhenNoneOrAnotherComes() async throws {
        struct Expected: Error {}
        struct Other: Error {}
        _ = try await JobStoreConformance.expect(throws: Expected.self) { throw Expected() }
        let none = await #expect(throws: ConformanceFailure.self) {
            try await JobStoreConformance.expect(throws: Expected.self) {}
        }
        #expect(none?.found == "no error")
        let other = await #expect(throws: ConformanceFailure.self) {
            try await JobStoreConformance.expect(throws: Expected.self) { throw Other() }
        }
        #expect(other?.found.hasPrefix("Other") == true)
    }

    @Test func whatTheStoreThrowsComesOutAsItIs() async throws {
        struct Unreachable: Error {}
        let check = try #require(JobStoreConformance.checks.first)
        await #expect(throws: Unreachable.self) { try await check.run(FailingFactory(error: Unreachable())) }
    }

    @Test func checksOfConcurrentCallersOpenSeveralHandlesAndTheOthersOne() async throws {
        let checks = JobStoreConformance.checks
        let concurrent = try #require(checks.first { $0.name.hasPrefix("eightConcurrentClaimers") })
        let single = try #require(checks.first { $0.name == "claimTakesOnlyJobsDueByNow" })
        let shared = CountingFactory(store: MemoryJobStore())
        try await concurrent.run(shared)
        #expect(shared.opened > 1)
        let one = CountingFactory(store: MemoryJobStore())
        try await single.run(one)
        #expect(one.opened == 1)
    }
}

/// Opens the same memory store each time, counting the calls.
private final class CountingFactory: JobStoreFactory {
    let store: MemoryJobStore
    private let count = Mutex(0)

    init(store: MemoryJobStore) { self.store = store }

    var opened: Int { count.withLock { $0 } }

    func openStore() async throws -> any JobStore {
        count.withLock { $0 += 1 }
        return store
    }
}

/// A database that cannot be reached.
private struct FailingFactory: JobStoreFactory {
    let error: any Error

    func openStore() async throws -> any JobStore { throw error }
}
