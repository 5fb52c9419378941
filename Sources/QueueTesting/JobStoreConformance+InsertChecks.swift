import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/prepare()``.
    static let prepareChecks: [Check] = [
        Check("prepareIsIdempotentAndKeepsStoredJobs") { stores in
            let store = try await stores.openPrepared()
            let job = try await store.insert(Fixture.job())
            try await store.prepare()
            try await store.prepare()
            try await expect(store.job(id: job.id), equals: job)
        },
        Check("anUnknownIdReadsAsNil") { stores in
            let store = try await stores.openPrepared()
            try await expect(store.job(id: ObjectId()), equals: nil)
        },
    ]

    /// ``JobStore/insert(_:)``, ``JobStore/job(id:)`` and exclusivity.
    static let insertChecks: [Check] = [
        Check("insertThenGetReturnsTheSameJobWithEveryField") { stores in
            let store = try await stores.openPrepared()
            let job = Fixture.everyField()
            try await expect(store.insert(job), equals: job)
            try await expect(store.job(id: job.id), equals: job)
        },
        Check("insertReturnsWhatAReadReturnsForInstantsFinerThanAMillisecond") { stores in
            let store = try await stores.openPrepared()
            var job = Fixture.everyField()
            let fine = { (seconds: Double) in Fixture.at(seconds).addingTimeInterval(0.000_123_4) }  // as `Date()` reads
            (job.scheduledFor, job.startedAt, job.endedAt) = (fine(-120), fine(-62), fine(0))
            (job.updatedAt, job.createdAt) = (fine(0), fine(-180))
            job.payload?["when"] = .date(fine(-3600))
            job.output?.result = ["at": .date(fine(-1))]
            job.output?.skipMetadata?.skippedAt = fine(-5)
            let stored = try await store.insert(job)
            try await expect(store.job(id: job.id), equals: stored)
        },
        Check("insertOfANewJobOrCronTaskReturnsWhatAReadReturnsForInstantsFinerThanAMillisecond") { stores in
            let store = try await stores.openPrepared()
            let fine = { (seconds: Double) in Fixture.at(seconds).addingTimeInterval(0.000_123_4) }  // as `Date()` reads
            for type in [JobType.simple, .cronTask] {
                var job = Fixture.job(type: type, payload: [
                    "when": .date(fine(-3600)), "list": [.date(fine(-1)), 1, ["at": .date(fine(2))]], "plain": "text",
                ])
                (job.scheduledFor, job.updatedAt, job.createdAt) = (fine(-120), fine(0), fine(-180))
                let stored = try await store.insert(job)
                try await expect(store.job(id: job.id), equals: stored, "insert, \(type.rawValue)")
                job.id = ObjectId()
                let batch = try await store.insert(many: [job])
                try await expect(store.job(id: job.id), equals: batch.first, "insert(many:), \(type.rawValue)")
            }
        },
        Check("insertingAJobWhoseIdIsStoredIsRefusedAndKeepsTheStoredJob") { stores in
            let store = try await stores.openPrepared()
            let job = Fixture.job()
            let stored = try await store.insert(job)
            var twin = Fixture.job("other")
            twin.id = job.id
            let error = try await expect(throws: JobStoreError.self) { _ = try await store.insert(twin) }
            try expect(error.code, equals: .invalidJob)
            try expect(error.reason, equals: "a job with this id is already stored")
            try await expect(store.job(id: job.id), equals: stored)
            try await expect(store.claim(Fixture.scope("other"), now: Fixture.now), equals: nil)
        },
        Check("aJobWithoutOptionalFieldsRoundTrips") { stores in
            let store = try await stores.openPrepared()
            let job = Fixture.job()
            try await expect(store.insert(job), equals: job)
            let read = try await require(store.job(id: job.id), "the job as stored")
            try expect(read, equals: job)
            try expect(read.payload == nil && read.output == nil && read.workerId == nil && read.startedAt == nil,
                       "no payload, output, worker or start time")
        },
        Check("anInlineJobIsStoredRunningOnItsWorkerAndIsNotClaimable") { stores in
            let store = try await stores.openPrepared()
            let worker = ObjectId()
            let job = Fixture.job(status: .running, workerId: worker)
            try await expect(store.insert(job), equals: job)
            try await expect(store.claim(Fixture.scope(job.name), now: Fixture.at(60)), equals: nil)
            let finished = try await store.finish(job.id, by: worker, as: .finished, output: nil, at: Fixture.at(1))
            try expect(finished?.status, equals: .finished)
        },
    ] + [JobStatus.pending, .running, .paused].map { twinStatus in
        Check("anExclusiveJobWhoseNameIsActiveIsStoredSkippedWithTheTwinsId(\(twinStatus))") { stores in
            let store = try await stores.openPrepared()
            let twin = try await activeExclusiveJob(in: store, status: twinStatus)
            let job = Fixture.job(twin.name, concurrency: .exclusive, createdAt: 30)
            let stored = try await store.insert(job)
            try expect(stored.status, equals: .skipped)
            let skip = try require(stored.output?.skipMetadata, "skip metadata")
            try expect(skip.conflictingJobId, equals: twin.id)
            try expect(skip.skippedAt, equals: job.createdAt)
            try expect(skip.reason, equals: SkipMetadata.exclusiveConflict, "the Node version's reason")
            try await expect(store.job(id: job.id), equals: stored)
            try await expect(store.job(id: twin.id)?.status, equals: twinStatus)
        }
    } + [
        Check("aSkippedJobEndsWhenItIsCreatedSoThatRetentionDeletesIt") { stores in
            let store = try await stores.openPrepared()
            let twin = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            let skipped = try await store.insert(Fixture.job("report", concurrency: .exclusive, createdAt: 30))
            try expect(skipped.status, equals: .skipped)
            try expect(skipped.endedAt, equals: Fixture.at(30))
            try await expect(store.job(id: skipped.id)?.endedAt, equals: Fixture.at(30))
            try await expect(store.deleteEnded(before: Fixture.at(30)), equals: 0, "not before it ended")
            try await expect(store.deleteEnded(before: Fixture.at(31)), equals: 1)
            try await expect(store.job(id: skipped.id), equals: nil)
            try await expect(store.job(id: twin.id)?.status, equals: .pending, "the active twin stays")
        },
    ] + [JobStatus.finished, .errored, .killed].map { ending in
        Check("theExclusiveNameIsFreedOnceTheTwinEnds(\(ending))") { stores in
            let store = try await stores.openPrepared()
            let twin = try await activeExclusiveJob(in: store, status: ending == .killed ? .pending : .running)
            if ending == .killed {
                _ = try await store.kill(twin.id, at: Fixture.at(5))
            } else {
                _ = try await store.finish(twin.id, by: try require(twin.workerId), as: ending, output: nil, at: Fixture.at(5))
            }
            let next = try await store.insert(Fixture.job(twin.name, concurrency: .exclusive, createdAt: 10))
            try expect(next.status, equals: .pending)
            try expect(next.output, equals: nil)
        }
    } + [
        Check("exclusivityHoldsPerNameAndOnlyBetweenExclusiveJobs") { stores in
            let store = try await stores.openPrepared()
            _ = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            try await expect(store.insert(Fixture.job("cleanup", concurrency: .exclusive)).status, equals: .pending)
            try await expect(store.insert(Fixture.job("report")).status, equals: .pending, "a concurrent job is never skipped")
            try await expect(store.insert(Fixture.job("mail")).status, equals: .pending)
            try await expect(store.insert(Fixture.job("mail")).status, equals: .pending)
        },
        Check("concurrentExclusiveInsertsLeaveExactlyOneActiveJob") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            let stored = try await withThrowingTaskGroup(of: Job.self) { group in
                for (index, store) in spread(8, over: handles).enumerated() {
                    group.addTask { try await store.insert(Fixture.job("report", concurrency: .exclusive, createdAt: Double(index))) }
                }
                return try await group.reduce(into: [Job]()) { $0.append($1) }
            }
            let active = stored.filter { $0.status == .pending }
            try expect(active.count, equals: 1)
            let skipped = stored.filter { $0.status == .skipped }
            try expect(skipped.count, equals: 7)
            try expect(skipped.allSatisfy { $0.output?.skipMetadata?.conflictingJobId == active.first?.id },
                       "each skipped job names the active one")
        },
    ]

    /// Stores an exclusive job named `report` and brings it to `status` (pending, running on a
    /// new worker, or paused).
    private static func activeExclusiveJob(in store: any JobStore, status: JobStatus) async throws -> Job {
        let job = try await store.insert(Fixture.job("report", concurrency: .exclusive))
        guard status != .pending else { return job }
        let scope = Fixture.scope("report")
        let claimed = try await require(store.claim(scope, now: Fixture.now), "the exclusive job, claimed")
        guard status == .paused else { return claimed }
        return try await require(
            store.finish(job.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1)), "the exclusive job, paused")
    }

    /// ``JobStore/jobs(matching:)``.
    static let queryChecks: [Check] = [
        Check("jobsMatchingFiltersByNameStatusTypeAndWorker") { stores in
            let store = try await stores.openPrepared()
            let mail = try await store.insert(Fixture.job("mail"))
            let task = try await store.insert(Fixture.job("nightly", type: .cronTask))
            let scope = Fixture.scope("export")
            let export = try await store.insert(Fixture.job("export"))
            _ = try await store.claim(scope, now: Fixture.now)

            func ids(_ query: JobQuery) async throws -> Set<ObjectId> { Set(try await store.jobs(matching: query).map(\.id)) }
            try await expect(ids(JobQuery()), equals: [mail.id, task.id, export.id])
            try await expect(ids(JobQuery(names: ["mail", "nightly"])), equals: [mail.id, task.id])
            try await expect(ids(JobQuery(statuses: [.running])), equals: [export.id])
            try await expect(ids(JobQuery(types: [.cronTask])), equals: [task.id])
            try await expect(ids(JobQuery(workerId: scope.workerId)), equals: [export.id])
            try await expect(ids(JobQuery(names: ["mail"], statuses: [.running])), equals: [])
            try await expect(ids(JobQuery(names: [])), equals: [])
        },
        Check("jobsMatchingOrdersNewestFirstOrEarliestDueFirstAndHonoursTheLimit") { stores in
            let store = try await stores.openPrepared()
            // Created in one order, due in the reverse order.
            var jobs: [Job] = []
            for index in 0..<5 { jobs.append(try await store.insert(Fixture.job(due: Double(10 - index), createdAt: Double(index)))) }
            let newest = try await store.jobs(matching: JobQuery(limit: 3))
            try expect(newest.map(\.id), equals: jobs.reversed().prefix(3).map(\.id))
            let earliest = try await store.jobs(matching: JobQuery(limit: 10, newestFirst: false))
            try expect(earliest.map(\.id), equals: jobs.reversed().map(\.id))
            let oldestDue = try await store.jobs(matching: JobQuery(limit: 2, newestFirst: false))
            try expect(oldestDue.map(\.id), equals: [jobs[4].id, jobs[3].id])
            try await expect(store.jobs(matching: JobQuery(limit: 0)).isEmpty, "no job for a limit of 0")
        },
    ]
}
