import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

@Suite("MemoryJobTable and the memory store's claim index")
struct MemoryJobTableTests {
    @Test func aRemovedJobsSlotIsReusedAndTheJobIsGone() {
        var table = MemoryJobTable()
        let first = Fixture.job(), second = Fixture.job()
        let slot = table.put(first)
        table.put(second)
        table.remove(first.id)
        #expect(table[first.id] == nil)
        #expect(table.count == 1)
        let third = Fixture.job()
        #expect(table.put(third) == slot)
        #expect(table[slot: slot] == third)
        #expect(Set(table.all.map(\.id)) == [second.id, third.id])
    }

    @Test func insertTakesAFreedSlotFirstAndRefusesAStoredIdLeavingItsJob() {
        var table = MemoryJobTable()
        let first = Fixture.job(), second = Fixture.job()
        #expect(table.insert(first) == 0)
        #expect(table.insert(second) == 1)
        var twin = Fixture.job("other")
        twin.id = second.id
        #expect(table.insert(twin) == nil)
        #expect(table[second.id] == second)
        #expect(table.count == 2)
        table.remove(first.id)
        let third = Fixture.job()
        #expect(table.insert(third) == 0)
        #expect(table[slot: 0] == third)
        #expect(table.insert(Fixture.job()) == 2)
        #expect(table.count == 3)
    }

    @Test func puttingAStoredIdReplacesTheJobInItsSlot() {
        var table = MemoryJobTable()
        var job = Fixture.job()
        let slot = table.put(job)
        job.status = .killed
        #expect(table.put(job) == slot)
        #expect(table[job.id]?.status == .killed)
        #expect(table.count == 1)
    }

    @Test func jobsReusingTheSlotsOfDeletedJobsAreEachClaimedOnceInDueOrder() async throws {
        let store = MemoryJobStore()
        let scope = Fixture.scope("send-mail")
        // Killed pending jobs leave stale claim entries behind; retention then frees their
        // slots, which the next jobs reuse.
        for _ in 0..<3 {
            let doomed = try await store.insert(Fixture.job(due: -50))
            _ = try await store.kill(doomed.id, at: Fixture.at(-40))
        }
        let later = try await store.insert(Fixture.job(due: 10))
        #expect(try await store.deleteEnded(before: Fixture.at(-30)) == 3)
        var expected = [later]
        for due in [-50.0, 5, -5] { expected.append(try await store.insert(Fixture.job(due: due))) }
        expected.sort { ($0.scheduledFor, $0.id) < ($1.scheduledFor, $1.id) }
        var order: [ObjectId] = []
        while let job = try await store.claim(scope, now: Fixture.at(20)) { order.append(job.id) }
        #expect(order == expected.map(\.id))
    }

    @Test func endingsFindTheirJobsWhenMoreJobsRunThanTheRecentClaimsTableHolds() async throws {
        let store = MemoryJobStore()
        let scope = Fixture.scope("send-mail")
        for _ in 0..<3_000 { _ = try await store.insert(Fixture.job(due: -1)) }
        let claimed = try await store.claim(scope, now: Fixture.now, limit: 3_000)
        #expect(claimed.count == 3_000)
        let requests = claimed.reversed().map { FinishRequest($0.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.now) }
        let ended = await store.finish(requests)
        #expect(ended.allSatisfy { (try? $0.get())??.status == .finished })
    }

    @Test func anEndingForADeletedJobDoesNotEndTheJobNowInItsSlot() async throws {
        let store = MemoryJobStore()
        let scope = Fixture.scope("send-mail")
        let gone = try await store.insert(Fixture.job(due: -1))
        _ = try #require(try await store.claim(scope, now: Fixture.now))
        _ = try await store.finish(gone.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.at(-40), resumeAt: nil)
        #expect(try await store.deleteEnded(before: Fixture.at(-30)) == 1)
        let next = try await store.insert(Fixture.job(due: -1))  // reuses the slot the hint points to
        _ = try #require(try await store.claim(scope, now: Fixture.now))
        let late = try await store.finish(gone.id, by: scope.workerId, as: .errored, output: nil, at: Fixture.now, resumeAt: nil)
        #expect(late == nil)
        #expect(try await store.job(id: next.id)?.status == .running)
    }
}
