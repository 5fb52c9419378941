import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: running jobs for recovery")
struct RunningJobsConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func runningJobsOfAWorkerAreListedLeastRecentlyUpdatedFirst(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (mine, other) = (ObjectId(), ObjectId())
            let late = try await store.insert(Fixture.job("a", status: .running, createdAt: 5, workerId: mine))
            let early = try await store.insert(Fixture.job("b", status: .running, createdAt: 1, workerId: mine))
            _ = try await store.insert(Fixture.job("c", status: .running, createdAt: 2, workerId: other))
            _ = try await store.insert(Fixture.job("d"))
            let listed = try await store.runningJobs(.ownedBy(mine), limit: 10)
            #expect(listed == [
                RunningJobReference(id: early.id, name: "b", workerId: mine, updatedAt: Fixture.at(1), sync: true),
                RunningJobReference(id: late.id, name: "a", workerId: mine, updatedAt: Fixture.at(5), sync: true),
            ])
            #expect(try await store.runningJobs(.ownedBy(mine), limit: 1).map(\.id) == [early.id])
            #expect(try await store.runningJobs(.ownedBy(mine), limit: 0).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func orphanedJobsAreThoseOfNoListedWorkerUpdatedBeforeTheCutoff(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let (live, gone) = (ObjectId(), ObjectId())
            _ = try await store.insert(Fixture.job("live", status: .running, createdAt: 0, workerId: live))
            let orphan = try await store.insert(Fixture.job("gone", status: .running, createdAt: 0, workerId: gone))
            _ = try await store.insert(Fixture.job("recent", status: .running, createdAt: 20, workerId: gone))
            let listed = try await store.runningJobs(.orphaned(liveWorkers: [live], updatedBefore: Fixture.at(10)), limit: 10)
            #expect(listed.map(\.id) == [orphan.id])
            #expect(listed.first?.workerId == gone)
            let none = try await store.runningJobs(.orphaned(liveWorkers: [], updatedBefore: Fixture.at(10)), limit: 10)
            #expect(Set(none.map(\.name)) == ["live", "gone"], "no live worker: every old running job")
        }
    }
}
