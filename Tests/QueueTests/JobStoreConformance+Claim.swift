import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: claim and nextDue")
struct ClaimConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func claimSetsRunningTheWorkerAndTheStartAndUpdateTimes(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job(payload: ["to": "a@example.com"]))
            let scope = Fixture.scope(job.name)
            let claimed = try #require(try await store.claim(scope, now: Fixture.at(2)))
            var expected = job
            expected.status = .running
            expected.workerId = scope.workerId
            expected.startedAt = Fixture.at(2)
            expected.updatedAt = Fixture.at(2)
            #expect(claimed == expected)
            #expect(try await store.job(id: job.id) == expected)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func claimTakesOnlyJobsDueByNow(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job(due: 60))
            let scope = Fixture.scope(job.name)
            #expect(try await store.claim(scope, now: Fixture.at(59.999)) == nil)
            #expect(try await store.claim(scope, now: Fixture.at(60))?.id == job.id, "due exactly now is due")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func claimTakesTheEarliestDueJobFirstThenTheLowestId(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let late = try await store.insert(Fixture.job(due: -10))
            let tieA = Job(id: ObjectId("000000000000000000000002")!, name: "send-mail", scheduledFor: Fixture.at(-20),
                           updatedAt: Fixture.now, createdAt: Fixture.now)
            let tieB = Job(id: ObjectId("000000000000000000000001")!, name: "send-mail", scheduledFor: Fixture.at(-20),
                           updatedAt: Fixture.now, createdAt: Fixture.now)
            let early = try await store.insert(Fixture.job("other", due: -30))
            _ = try await store.insert(tieA)
            _ = try await store.insert(tieB)
            let scope = Fixture.scope("send-mail", "other")
            var order: [ObjectId] = []
            while let job = try await store.claim(scope, now: Fixture.now) { order.append(job.id) }
            #expect(order == [early.id, tieB.id, tieA.id, late.id])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func batchClaimsTakeAtMostTheirLimitInTheOrderOfSingleClaims(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            var due: [Job] = []
            for index in 0..<5 { due.append(try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "a" : "b", due: Double(-index)))) }
            _ = try await store.insert(Fixture.job("a", due: 60))
            _ = try await store.insert(Fixture.job("elsewhere"))
            let scope = Fixture.scope("a", "b")
            var batches: [[Job]] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 3), !batch.isEmpty { batches.append(batch) }
            let claimed = batches.flatMap { $0 }
            #expect(claimed.map(\.id) == due.reversed().map(\.id), "earliest scheduled_for first, each due job once")
            #expect(claimed.allSatisfy { $0.status == .running && $0.workerId == scope.workerId && $0.startedAt == Fixture.now })
            #expect(batches.allSatisfy { $0.count <= 3 })
            if kind == .memory || kind == .sqlite { #expect(batches.map(\.count) == [3, 2], "one round trip per batch") }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func claimTakesOnlyNamesInScope(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job("mail"))
            #expect(try await store.claim(Fixture.scope("export"), now: Fixture.now) == nil)
            #expect(try await store.claim(ClaimScope(workerId: ObjectId(), names: []), now: Fixture.now) == nil)
            #expect(try await store.claim(Fixture.scope("export", "mail"), now: Fixture.now)?.id == job.id)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func claimResumesAPausedJobKeepingItsStartTime(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job())
            let first = Fixture.scope(job.name)
            _ = try await store.claim(first, now: Fixture.at(1))
            let paused = try #require(try await store.finish(job.id, by: first.workerId, as: .paused, output: nil, at: Fixture.at(2)))
            #expect(paused.status == .paused && paused.workerId == nil && paused.endedAt == nil)
            let second = Fixture.scope(job.name)
            let resumed = try #require(try await store.claim(second, now: Fixture.at(3)))
            #expect(resumed.status == .running)
            #expect(resumed.workerId == second.workerId)
            #expect(resumed.startedAt == Fixture.at(1))
            #expect(resumed.updatedAt == Fixture.at(3))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aJobIsNeverClaimedTwiceNorOnceItHasEnded(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job())
            let scope = Fixture.scope(job.name)
            #expect(try await store.claim(scope, now: Fixture.now)?.id == job.id)
            #expect(try await store.claim(Fixture.scope(job.name), now: Fixture.at(1)) == nil, "running")
            _ = try await store.finish(job.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.at(2))
            #expect(try await store.claim(Fixture.scope(job.name), now: Fixture.at(3)) == nil, "finished")
            let twin = try await store.insert(Fixture.job("x", concurrency: .exclusive))
            let skipped = try await store.insert(Fixture.job("x", concurrency: .exclusive))
            #expect(skipped.status == .skipped)
            #expect(try await store.claim(Fixture.scope("x"), now: Fixture.now)?.id == twin.id)
            #expect(try await store.claim(Fixture.scope("x"), now: Fixture.now) == nil, "skipped")
        }
    }

    @Test(arguments: StoreKind.allCases, [1, 4])
    func eightConcurrentClaimersClaimEachOfFiftyJobsExactlyOnce(_ kind: StoreKind, batch: Int) async throws {
        try await kind.withStore(connections: 8) { store in
            var inserted: Set<ObjectId> = []
            for index in 0..<50 {
                inserted.insert(try await store.insert(Fixture.job(index.isMultiple(of: 2) ? "a" : "b", due: Double(-index))).id)
            }
            let claims = try await Fixture.claimAll(from: Array(repeating: store, count: 8), batch: batch, names: "a", "b")
            #expect(claims.count == 50)
            #expect(Set(claims.map(\.id)) == inserted)
            let running = try await store.jobs(matching: JobQuery(statuses: [.running], limit: 100))
            #expect(running.count == 50)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func nextDueIsTheEarliestPendingOrPausedTimeInScopeDueOrNot(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            #expect(try await store.nextDue(Fixture.scope("mail")) == nil)
            _ = try await store.insert(Fixture.job("mail", due: 300))
            _ = try await store.insert(Fixture.job("other", due: 10))
            #expect(try await store.nextDue(Fixture.scope("mail")) == Fixture.at(300), "in the future")
            let running = try await store.insert(Fixture.job("mail", due: -50))
            let scope = Fixture.scope("mail")
            #expect(try await store.nextDue(scope) == Fixture.at(-50))
            _ = try await store.claim(scope, now: Fixture.now)
            #expect(try await store.nextDue(scope) == Fixture.at(300), "a running job is not due")
            _ = try await store.finish(running.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1))
            #expect(try await store.nextDue(scope) == Fixture.at(-50), "a paused job is due again")
            #expect(try await store.nextDue(Fixture.scope("mail", "other")) == Fixture.at(-50))
            #expect(try await store.nextDue(ClaimScope(workerId: ObjectId(), names: [])) == nil)
        }
    }
}
