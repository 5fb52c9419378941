import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// How the MongoDB store claims: one `findAndModify` while nothing shows a backlog, a `find` and
/// one `update` for several jobs once a claim has found one. What every store's claims promise
/// is in the conformance suite.
@Suite("MongoJobStore: claims")
struct MongoJobStoreClaimTests {
    /// Stores `count` jobs of `name`, due one second apart from `firstDue` seconds, earliest first.
    private func backlog(_ store: MongoJobStore, _ count: Int, _ name: String = "mail", firstDue: Double = -100) async throws -> [Job] {
        var jobs: [Job] = []
        for index in 0..<count { jobs.append(try await store.insert(Fixture.job(name, due: firstDue + Double(index)))) }
        return jobs
    }

    @Test func aClaimWithNothingClaimedBeforeIsOneFindAndModifyForOneJob() async throws {
        try await withMongoStore { store, database in
            let jobs = try await backlog(store, 3)
            var claimed: [Job] = []
            #expect(try await commands(database) { claimed = try await store.claim(Fixture.scope("mail"), now: Fixture.now, limit: 3) } == 1)
            #expect(claimed.map(\.id) == [jobs[0].id])
        }
    }

    @Test func afterAClaimThatFoundAJobAClaimOverABacklogTakesItsLimitEarliestFirstInTwoCommands() async throws {
        try await withMongoStore { store, database in
            let scope = Fixture.scope("mail")
            let jobs = try await backlog(store, 6)
            // The first job runs and is paused: claimed again, it keeps its first start.
            _ = try #require(try await store.claim(scope, now: Fixture.at(-50)))
            _ = try await store.finish(jobs[0].id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(-40))
            var claimed: [Job] = []
            let now = Fixture.at(0.000_75)  // not a whole millisecond: the store keeps whole ones
            #expect(try await commands(database) { claimed = try await store.claim(scope, now: now, limit: 4) } == 2,
                    "a find, then one update")
            #expect(claimed.map(\.id) == jobs[0..<4].map(\.id))
            for job in claimed { #expect(try await store.job(id: job.id) == job, "as stored") }
            #expect(claimed.allSatisfy { $0.status == .running && $0.workerId == scope.workerId && $0.updatedAt == Fixture.now })
            #expect(claimed.map(\.startedAt) == [Fixture.at(-50), Fixture.now, Fixture.now, Fixture.now])
            #expect(try await store.claim(scope, now: Fixture.now, limit: 4).map(\.id) == jobs[4...].map(\.id))
        }
    }

    @Test func aClaimThatFindsNothingMakesTheNextClaimOneFindAndModify() async throws {
        try await withMongoStore { store, database in
            let scope = Fixture.scope("mail")
            _ = try await backlog(store, 1)
            #expect(try await store.claim(scope, now: Fixture.now, limit: 4).count == 1)
            #expect(try await commands(database) { _ = try await store.claim(scope, now: Fixture.now, limit: 4) } == 2,
                    "a find of nothing, then the update ending expired jobs")
            let jobs = try await backlog(store, 3)
            var claimed: [Job] = []
            #expect(try await commands(database) { claimed = try await store.claim(scope, now: Fixture.now, limit: 4) } == 1)
            #expect(claimed.map(\.id) == [jobs[0].id])
        }
    }

    @Test func aFindOfOneDueJobClaimsItByFindAndModify() async throws {
        try await withMongoStore { store, database in
            let scope = Fixture.scope("mail")
            let jobs = try await backlog(store, 2)
            _ = try #require(try await store.claim(scope, now: Fixture.now))
            var claimed: [Job] = []
            #expect(try await commands(database) { claimed = try await store.claim(scope, now: Fixture.now, limit: 4) } == 2)
            #expect(claimed == [try #require(try await store.job(id: jobs[1].id))])
        }
    }

    @Test func aBatchReturnsOnlyTheJobsItClaimedWhenOthersWereTakenOrChangedAfterItsFind() async throws {
        try await withMongoStore { store, database in
            let scope = Fixture.scope("mail")
            let jobs = try await backlog(store, 5)
            let candidates = try await store.findClaimable(scope, now: Fixture.now, limit: 4)
            let batch = try #require(MongoClaimBatch(candidates, scope: scope, now: Fixture.now))
            // Between the find and the update, another worker claims job 0, and claims and
            // releases job 1 (pending again, but no longer as found).
            let other = Fixture.scope("mail")
            #expect(try await store.claim(other, now: Fixture.at(-1))?.id == jobs[0].id)
            #expect(try await store.claim(other, now: Fixture.at(-1))?.id == jobs[1].id)
            _ = try await store.finish(jobs[1].id, by: other.workerId, as: .pending, output: nil, at: Fixture.at(-1))
            var claimed: [Job] = []
            #expect(try await commands(database) { claimed = try await store.claim(batch) } == 2, "the update, then one find")
            #expect(claimed.map(\.id) == [jobs[2].id, jobs[3].id])
            for job in claimed { #expect(try await store.job(id: job.id) == job) }
            #expect(try await store.job(id: jobs[0].id)?.workerId == other.workerId)
            #expect(try await store.job(id: jobs[1].id)?.status == .pending, "left for the next claim")
        }
    }
}
