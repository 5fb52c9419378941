import Foundation
import Queue

extension JobStoreConformance {
    /// ``JobStore/insert(many:)``: sizes 0, 1 and 1,000, exclusive twins inside a batch, and
    /// batches the store must refuse whole.
    static let batchChecks: [Check] = [
        Check("insertManyOfNoJobsReturnsNoneAndStoresNothing") { stores in
            let store = try await stores.openPrepared()
            try await expect(store.insert(many: []), equals: [])
            try await expect(store.jobs(matching: JobQuery()), equals: [])
        },
        Check("insertManyOfOneJobStoresItAsInsertDoes") { stores in
            let store = try await stores.openPrepared()
            let job = Fixture.everyField()
            try await expect(store.insert(many: [job]), equals: [job])
            try await expect(store.job(id: job.id), equals: job)
        },
        Check("insertManyOfAThousandJobsStoresEachAndReturnsThemInOrder") { stores in
            let store = try await stores.openPrepared()
            var jobs: [Job] = []
            for index in 0..<1_000 {
                let name = index % 2 == 0 ? "mail" : "export"
                let payload: BSONDocument = ["index": .int32(Int32(index))]
                jobs.append(Fixture.job(name, due: Double(index % 7), payload: payload))
            }
            let stored = try await store.insert(many: jobs)
            try expect(stored, equals: jobs, "each job as given, in the order given")
            let read = try await store.jobs(matching: JobQuery(limit: 2_000, newestFirst: false))
            try expect(read.count, equals: 1_000)
            try expect(Set(read), equals: Set(jobs), "every job stored as given")
            let dueOrder = jobs.sorted { ($0.scheduledFor, $0.id) < ($1.scheduledFor, $1.id) }
            try expect(read.map(\.id), equals: dueOrder.map(\.id), "earliest due first")
            let first = try await store.claim(Fixture.scope("mail", "export"), now: Fixture.at(10))
            try expect(first?.id, equals: dueOrder.first?.id, "the batch is claimable like any job")
        },
        Check("insertManyStoresAnExclusiveJobWhoseNameIsActiveSkippedAndTheRestOfTheBatch") { stores in
            let store = try await stores.openPrepared()
            let twin = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            let batch = [
                Fixture.job("mail", createdAt: 30), Fixture.job("report", concurrency: .exclusive, createdAt: 30),
                Fixture.job("cleanup", concurrency: .exclusive, createdAt: 30), Fixture.job("report", createdAt: 30),
            ]
            let stored = try await store.insert(many: batch)
            try expect(stored.map(\.id), equals: batch.map(\.id))
            try expect(stored.map(\.status), equals: [.pending, .skipped, .pending, .pending],
                       "only the exclusive twin is skipped; a concurrent job of its name is not")
            let skip = try require(stored[1].output?.skipMetadata, "skip metadata")
            try expect(skip.conflictingJobId, equals: twin.id)
            try expect(skip.skippedAt, equals: Fixture.at(30))
            try expect(skip.reason, equals: SkipMetadata.exclusiveConflict)
            try expect(stored[1].endedAt, equals: Fixture.at(30), "a skipped job has ended")
            for job in stored { try await expect(store.job(id: job.id), equals: job) }
            try await expect(store.job(id: twin.id)?.status, equals: .pending, "the active twin stays")
        },
        Check("insertManyKeepsOneOfTwoExclusiveTwinsOfABatchActiveAndSkipsTheOther") { stores in
            let store = try await stores.openPrepared()
            let batch = [
                Fixture.job("report", concurrency: .exclusive), Fixture.job("mail"),
                Fixture.job("report", concurrency: .exclusive, createdAt: 1),
            ]
            let stored = try await store.insert(many: [batch[0], batch[1], batch[2]])
            try expect(stored[1].status, equals: .pending)
            let reports = [stored[0], stored[2]]
            let active = reports.filter { $0.status == .pending }
            try expect(active.count, equals: 1, "one report active")
            let skipped = try require(reports.first { $0.status == .skipped }, "the other report, skipped")
            try expect(skipped.output?.skipMetadata?.conflictingJobId, equals: active.first?.id, "naming the active one")
            for job in stored { try await expect(store.job(id: job.id), equals: job) }
        },
        Check("concurrentBatchesWithTheSameExclusiveNameLeaveExactlyOneActiveJob") { stores in
            let handles = try await stores.openPrepared(concurrentHandles)
            let stored = try await withThrowingTaskGroup(of: [Job].self) { group in
                for (index, store) in spread(8, over: handles).enumerated() {
                    group.addTask {
                        try await store.insert(many: [
                            Fixture.job("mail", createdAt: Double(index)),
                            Fixture.job("report", concurrency: .exclusive, createdAt: Double(index)),
                        ])
                    }
                }
                return try await group.reduce(into: [Job]()) { $0 += $1 }
            }
            try expect(stored.filter { $0.name == "mail" && $0.status == .pending }.count, equals: 8, "every mail job")
            let reports = stored.filter { $0.name == "report" }
            let active = reports.filter { $0.status == .pending }
            try expect(active.count, equals: 1)
            try expect(reports.filter { $0.status == .skipped }.allSatisfy { $0.output?.skipMetadata?.conflictingJobId == active.first?.id },
                       "each skipped report names the active one")
        },
        Check("insertManyRefusesABatchHoldingAStoredIdAndStoresNothingOfIt") { stores in
            let store = try await stores.openPrepared()
            let existing = try await store.insert(Fixture.job("export"))
            var clash = Fixture.job("mail")
            clash.id = existing.id
            let batch = [Fixture.job("mail"), Fixture.job("report", concurrency: .exclusive), clash, Fixture.job("mail")]
            let error = try await expect(throws: JobStoreError.self) { _ = try await store.insert(many: batch) }
            try expect(error.code, equals: .invalidJob)
            try expect(error.jobIndex, equals: 2, "the index of the job refused")
            try expect(error.reason, equals: "a job with this id is already stored")
            try expect(error.description.contains("index 2"), "the description names the index")
            try await expect(store.jobs(matching: JobQuery()), equals: [existing], "nothing of the batch stored")
        },
        Check("insertManyRefusesABatchGivingAnIdTwiceAndStoresNothingOfIt") { stores in
            let store = try await stores.openPrepared()
            let first = Fixture.job("mail")
            var again = Fixture.job("export")
            again.id = first.id
            let error = try await expect(throws: JobStoreError.self) {
                _ = try await store.insert(many: [Fixture.job("mail"), first, Fixture.job("mail"), again])
            }
            try expect(error.code, equals: .invalidJob)
            try expect(error.jobIndex, equals: 3, "the index of the second job with the id")
            try await expect(store.jobs(matching: JobQuery()), equals: [], "nothing of the batch stored")
        },
    ]
}
