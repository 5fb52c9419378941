import Foundation
import Testing
@testable import Queue

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
}
