import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("JobStore conformance: insert and exclusivity")
struct InsertConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func insertThenGetReturnsTheSameJobWithEveryField(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = Fixture.everyField()
            let stored = try await store.insert(job)
            #expect(stored == job)
            #expect(try await store.job(id: job.id) == job)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func insertReturnsWhatAReadReturnsForInstantsFinerThanAMillisecond(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            var job = Fixture.everyField()
            let fine = { (seconds: Double) in Fixture.at(seconds).addingTimeInterval(0.000_123_4) }  // as `Date()` reads
            (job.scheduledFor, job.startedAt, job.endedAt) = (fine(-120), fine(-62), fine(0))
            (job.updatedAt, job.createdAt) = (fine(0), fine(-180))
            job.payload?["when"] = .date(fine(-3600))
            job.output?.result = ["at": .date(fine(-1))]
            job.output?.skipMetadata?.skippedAt = fine(-5)
            let stored = try await store.insert(job)
            #expect(try await store.job(id: job.id) == stored)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func insertingAJobWhoseIdIsStoredIsRefusedAndKeepsTheStoredJob(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = Fixture.job()
            let stored = try await store.insert(job)
            var twin = Fixture.job("other")
            twin.id = job.id
            let error = await #expect(throws: JobStoreError.self) { try await store.insert(twin) }
            #expect(error?.code == .invalidJob)
            #expect(error?.reason == "a job with this id is already stored")
            #expect(try await store.job(id: job.id) == stored)
            #expect(try await store.claim(Fixture.scope("other"), now: Fixture.now) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aJobWithoutOptionalFieldsRoundTrips(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = Fixture.job()
            #expect(try await store.insert(job) == job)
            let read = try #require(try await store.job(id: job.id))
            #expect(read == job)
            #expect(read.payload == nil && read.output == nil && read.workerId == nil && read.startedAt == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anInlineJobIsStoredRunningOnItsWorkerAndIsNotClaimable(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let worker = ObjectId()
            let job = Fixture.job(status: .running, workerId: worker)
            #expect(try await store.insert(job) == job)
            #expect(try await store.claim(Fixture.scope(job.name), now: Fixture.at(60)) == nil)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(1))
            #expect(finished?.status == .finished)
        }
    }

    @Test(arguments: StoreKind.allCases, [JobStatus.pending, .running, .paused])
    func anExclusiveJobWhoseNameIsActiveIsStoredSkippedWithTheTwinsId(_ kind: StoreKind, twinStatus: JobStatus) async throws {
        try await kind.withStore { store in
            let twin = try await activeExclusiveJob(in: store, status: twinStatus)
            let job = Fixture.job(twin.name, concurrency: .exclusive, createdAt: 30)
            let stored = try await store.insert(job)
            #expect(stored.status == .skipped)
            let skip = try #require(stored.output?.skipMetadata)
            #expect(skip.conflictingJobId == twin.id)
            #expect(skip.skippedAt == job.createdAt)
            #expect(skip.reason == SkipMetadata.exclusiveConflict, "the Node version's reason")
            #expect(try await store.job(id: job.id) == stored)
            #expect(try await store.job(id: twin.id)?.status == twinStatus)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aSkippedJobEndsWhenItIsCreatedSoThatRetentionDeletesIt(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let twin = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            let skipped = try await store.insert(Fixture.job("report", concurrency: .exclusive, createdAt: 30))
            #expect(skipped.status == .skipped)
            #expect(skipped.endedAt == Fixture.at(30))
            #expect(try await store.job(id: skipped.id)?.endedAt == Fixture.at(30))
            #expect(try await store.deleteEnded(before: Fixture.at(30)) == 0, "not before it ended")
            #expect(try await store.deleteEnded(before: Fixture.at(31)) == 1)
            #expect(try await store.job(id: skipped.id) == nil)
            #expect(try await store.job(id: twin.id)?.status == .pending, "the active twin stays")
        }
    }

    @Test(arguments: StoreKind.allCases, [JobStatus.finished, .errored, .killed])
    func theExclusiveNameIsFreedOnceTheTwinEnds(_ kind: StoreKind, ending: JobStatus) async throws {
        try await kind.withStore { store in
            let twin = try await activeExclusiveJob(in: store, status: ending == .killed ? .pending : .running)
            if ending == .killed {
                _ = try await store.kill(twin.id, at: Fixture.at(5))
            } else {
                _ = try await store.finish(twin.id, by: try #require(twin.workerId), as: ending, output: nil, at: Fixture.at(5))
            }
            let next = try await store.insert(Fixture.job(twin.name, concurrency: .exclusive, createdAt: 10))
            #expect(next.status == .pending)
            #expect(next.output == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func exclusivityHoldsPerNameAndOnlyBetweenExclusiveJobs(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            #expect(try await store.insert(Fixture.job("cleanup", concurrency: .exclusive)).status == .pending)
            #expect(try await store.insert(Fixture.job("report")).status == .pending, "a concurrent job is never skipped")
            #expect(try await store.insert(Fixture.job("mail")).status == .pending)
            #expect(try await store.insert(Fixture.job("mail")).status == .pending)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentExclusiveInsertsLeaveExactlyOneActiveJob(_ kind: StoreKind) async throws {
        try await kind.withStore(connections: 8) { store in
            let stored = try await withThrowingTaskGroup(of: Job.self) { group in
                for index in 0..<8 {
                    group.addTask { try await store.insert(Fixture.job("report", concurrency: .exclusive, createdAt: Double(index))) }
                }
                return try await group.reduce(into: [Job]()) { $0.append($1) }
            }
            let active = stored.filter { $0.status == .pending }
            #expect(active.count == 1)
            let skipped = stored.filter { $0.status == .skipped }
            #expect(skipped.count == 7)
            #expect(skipped.allSatisfy { $0.output?.skipMetadata?.conflictingJobId == active.first?.id })
        }
    }

    /// Stores an exclusive job named `report` and brings it to `status` (pending, running on a
    /// new worker, or paused).
    private func activeExclusiveJob(in store: any JobStore, status: JobStatus) async throws -> Job {
        let job = try await store.insert(Fixture.job("report", concurrency: .exclusive))
        guard status != .pending else { return job }
        let scope = Fixture.scope("report")
        let claimed = try #require(try await store.claim(scope, now: Fixture.now))
        guard status == .paused else { return claimed }
        return try #require(try await store.finish(job.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1)))
    }
}

@Suite("JobStore conformance: queries")
struct QueryConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func jobsMatchingFiltersByNameStatusTypeAndWorker(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let mail = try await store.insert(Fixture.job("mail"))
            let task = try await store.insert(Fixture.job("nightly", type: .cronTask))
            let scope = Fixture.scope("export")
            let export = try await store.insert(Fixture.job("export"))
            _ = try await store.claim(scope, now: Fixture.now)

            func ids(_ query: JobQuery) async throws -> Set<ObjectId> { Set(try await store.jobs(matching: query).map(\.id)) }
            #expect(try await ids(JobQuery()) == [mail.id, task.id, export.id])
            #expect(try await ids(JobQuery(names: ["mail", "nightly"])) == [mail.id, task.id])
            #expect(try await ids(JobQuery(statuses: [.running])) == [export.id])
            #expect(try await ids(JobQuery(types: [.cronTask])) == [task.id])
            #expect(try await ids(JobQuery(workerId: scope.workerId)) == [export.id])
            #expect(try await ids(JobQuery(names: ["mail"], statuses: [.running])).isEmpty)
            #expect(try await ids(JobQuery(names: [])).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func jobsMatchingOrdersNewestFirstOrEarliestDueFirstAndHonoursTheLimit(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            // Created in one order, due in the reverse order.
            var jobs: [Job] = []
            for index in 0..<5 { jobs.append(try await store.insert(Fixture.job(due: Double(10 - index), createdAt: Double(index)))) }
            let newest = try await store.jobs(matching: JobQuery(limit: 3))
            #expect(newest.map(\.id) == jobs.reversed().prefix(3).map(\.id))
            let earliest = try await store.jobs(matching: JobQuery(limit: 10, newestFirst: false))
            #expect(earliest.map(\.id) == jobs.reversed().map(\.id))
            let oldestDue = try await store.jobs(matching: JobQuery(limit: 2, newestFirst: false))
            #expect(oldestDue.map(\.id) == [jobs[4].id, jobs[3].id])
            #expect(try await store.jobs(matching: JobQuery(limit: 0)).isEmpty)
        }
    }
}
