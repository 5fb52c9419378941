import CMongoC
import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
import QueueTestSupport

/// What only the MongoDB store promises: commands per operation, the stored schema, indexes,
/// the exclusivity fallback, and errors. Behaviour shared with every store is in the
/// conformance suite.
@Suite("MongoJobStore")
struct MongoJobStoreTests {
    @Test func claimAndFinishAreOneCommandEach() async throws {
        try await withMongoStore { store, database in
            let job = Fixture.job()
            let scope = Fixture.scope(job.name)
            let counts = try await [
                commands(database) { _ = try await store.insert(job) },
                commands(database) { _ = try await store.claim(scope, now: Fixture.now) },
                commands(database) { _ = try await store.finish(job.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.at(1)) },
                commands(database) { _ = try await store.claim(scope, now: Fixture.now) },
            ]
            // A claim that finds nothing also ends the expired jobs it passed over (one update).
            #expect(counts == [1, 1, 1, 2], "insert, claim, finish, claim with nothing due")
            let pending = try await store.insert(Fixture.job())
            #expect(try await commands(database) { _ = try await store.kill(pending.id, at: Fixture.now) } == 1)
            let worker = Fixture.worker()
            try await store.registerWorker(worker)
            #expect(try await commands(database) { _ = try await store.heartbeat(worker.id, at: Fixture.now) } == 1)
        }
    }

    @Test(arguments: [MongoJobStore.ExclusivityEnforcement.partialIndex, .exclusiveKeyField])
    func aBatchOfEndingsCarryingTheirClaimedJobsIsOneCommand(_ exclusivity: MongoJobStore.ExclusivityEnforcement) async throws {
        try await withMongoStore(exclusivity: exclusivity) { store, database in
            let names = ["a", "b", "c", "d", "e"]
            for name in names { _ = try await store.insert(Fixture.job(name, concurrency: .exclusive)) }
            let scope = ClaimScope(workerId: ObjectId(), names: names)
            var claimed: [Job] = []
            for _ in names { claimed.append(try #require(try await store.claim(scope, now: Fixture.now))) }
            let requests = claimed.enumerated().map { index, job in
                FinishRequest(job.id, by: scope.workerId, as: index == 4 ? .paused : .finished,
                              output: index == 4 ? nil : JobOutput(result: ["n": BSON(index)]), at: Fixture.at(2),
                              claimed: job)
            }
            var results: [Result<Job?, JobStoreError>] = []
            #expect(try await commands(database) { results = await store.finish(requests) } == 1)
            for (job, result) in zip(claimed, results) {
                let returned = try #require(try result.get())
                #expect(try await store.job(id: job.id) == returned)
                #expect(returned.workerId == nil && returned.updatedAt == Fixture.at(2))
                // The fallback's key goes in the statement that ends a job; a paused job keeps it.
                let key = try await rawJob(job.id, database)?[JobDocument.exclusiveKey]
                if exclusivity == .exclusiveKeyField, returned.status == .paused {
                    #expect(key == .string(job.name))
                } else {
                    #expect(key == nil)
                }
            }
            #expect(results.map { try? $0.get()?.status } == [.finished, .finished, .finished, .finished, .paused])
        }
    }

    @Test func aBatchWithAJobTakenOverRecordsTheOthersAndReturnsNilForItInTwoCommands() async throws {
        try await withMongoStore { store, database in
            for name in ["a", "b", "c"] { _ = try await store.insert(Fixture.job(name)) }
            let scope = ClaimScope(workerId: ObjectId(), names: ["a", "b", "c"])
            var claimed: [Job] = []
            for _ in 0..<3 { claimed.append(try #require(try await store.claim(scope, now: Fixture.now))) }
            // Recovery pauses job b (its worker looked dead), and another worker resumes it.
            let taken = claimed[1]
            _ = try await store.finish(taken.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1))
            let other = ClaimScope(workerId: ObjectId(), names: ["b"])
            _ = try #require(try await store.claim(other, now: Fixture.at(1)))
            let requests = claimed.map { job in
                FinishRequest(job.id, by: scope.workerId, as: .finished, output: JobOutput(duration: "2s"), at: Fixture.at(2),
                              claimed: job)
            }
            var results: [Result<Job?, JobStoreError>] = []
            #expect(try await commands(database) { results = await store.finish(requests) } == 2, "the update, then one find")
            let jobs = try results.map { try $0.get() }
            #expect(jobs[0] == (try await store.job(id: claimed[0].id)))
            #expect(jobs[0]?.status == .finished)
            #expect(jobs[1] == nil, "running on another worker: not recorded")
            #expect(try await store.job(id: taken.id)?.status == .running)
            #expect(try await store.job(id: taken.id)?.workerId == other.workerId)
            #expect(jobs[2] == (try await store.job(id: claimed[2].id)))
            #expect(jobs[2]?.status == .finished)
        }
    }

    @Test func jobsWorkersAndSignalsAreStoredWithTheNodeVersionsSchema() async throws {
        try await withMongoStore { store, database in
            let job = try await store.insert(Fixture.job(concurrency: .exclusive))
            let raw = try #require(try await rawJob(job.id, database))
            #expect(raw.keys == [
                "_id", "name", "type", "status", "payload", "output", "scheduled_for", "started_at", "ended_at",
                "updated_at", "created_at", "worker_id", "sync", "concurrency",
            ])
            #expect(raw["_id"] == .objectId(job.id) && raw["scheduled_for"] == .date(Fixture.now))
            #expect(raw["payload"] == .null && raw["worker_id"] == .null && raw["started_at"] == .null)
            #expect(raw["concurrency"] == ["mode": "exclusive"] && raw["type"] == "simple" && raw["status"] == "pending")

            let scope = Fixture.scope(job.name)
            _ = try await store.claim(scope, now: Fixture.now)
            _ = try await store.kill(job.id, at: Fixture.at(1))
            try await store.registerWorker(WorkerRecord(id: scope.workerId, hostname: "h", tags: ["t"], lastSeen: Fixture.now))
            let name = database.name
            let (worker, signal) = try await database.run("raw") { client throws(MongoError) in
                (try client.collection(MongoJobStore.workersCollection, in: name).find().first,
                 try client.collection(MongoJobStore.signalsCollection, in: name).find().first)
            }
            #expect(worker == ["_id": .objectId(scope.workerId), "hostname": "h", "lastSeen": .date(Fixture.now), "tags": ["t"]])
            #expect(signal?.keys == ["_id", "type", "job_id", "worker_id", "created_at", "ack"])
            #expect(signal?["type"] == "kill" && signal?["job_id"] == .objectId(job.id) && signal?["ack"] == false)
        }
    }

    @Test func prepareCreatesTheIndexesUnderTheNodeVersionsNamesWhereItHasOne() async throws {
        try await withMongoStore { store, database in
            let jobs = try await indexes(MongoJobStore.jobsCollection, database)
            // The test server holds one index per key pattern, so of the Node version's two
            // exclusive indexes (both on {type, name}) it refuses the second, and
            // `exclusive_active_name` stands in for both; a MongoDB server holds both instead.
            let nodeExclusive = Set(jobs.keys).intersection(["simple_exclusive_unique", "cron_task_exclusive_unique"])
            #expect(Set(jobs.keys).subtracting(nodeExclusive).subtracting(["exclusive_active_name"]) == [
                "_id_", "status_1_name_1_scheduled_for_1__id_1", "status_1_name_1_priority_-1_scheduled_for_1__id_1",
                "name_1_status_1_created_at_-1__id_-1", "created_at_-1__id_-1",
                "worker_id_1_status_1", "cron_name", "ended_at_1", "unique_key_active",
            ])
            #expect(nodeExclusive.count == 2 || jobs["exclusive_active_name"] != nil)
            let simple = try #require(jobs["simple_exclusive_unique"])
            #expect(simple["key"] == ["type": 1, "name": 1])
            #expect(simple["partialFilterExpression"] == [
                "type": "simple", "concurrency.mode": "exclusive", "status": ["$in": ["pending", "running", "paused"]],
            ])
            let workers = try await indexes(MongoJobStore.workersCollection, database)
            #expect(workers["lastSeen_1"]?["key"] == ["lastSeen": 1])
            #expect(try await indexes(MongoJobStore.signalsCollection, database).keys.contains("worker_id_1_ack_1_created_at_1"))
            #expect(store.exclusivity == .partialIndex)
        }
    }

    @Test func anIndexOnTheSameKeyUnderAnotherNameIsAdoptedNotDuplicated() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        let name = database.name
        let command: BSONDocument = ["createIndexes": .string(MongoJobStore.jobsCollection), "indexes": [
            ["key": ["ended_at": 1], "name": "expire_old_jobs", "expireAfterSeconds": 3600],
        ]]
        _ = try await database.run("create") { client throws(MongoError) in try client.runCommand(command, in: name) }
        let records = RecordingLogHandler.Records()
        let store = MongoJobStore(
            database: database, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) },
            workerExpiry: .fixtureSafe)
        try await store.prepare()
        try await store.prepare()
        let jobs = try await indexes(MongoJobStore.jobsCollection, database)
        #expect(jobs["expire_old_jobs"]?["expireAfterSeconds"]?.intValue == 3600, "kept as it was")
        #expect(jobs["ended_at_1"] == nil, "no second index on ended_at")
        let adoptions = records.all.filter { $0.message == "adopted an existing index on the same key" }
        #expect(adoptions.count == 2 && adoptions.allSatisfy { $0.level == .info }, "said, and not as an error")
        #expect(!records.all.contains { $0.level >= .warning })
    }

    @Test func theFallbackIndexIsAUniqueSparseIndexOnExclusiveKey() async throws {
        try await withMongoStore(exclusivity: .exclusiveKeyField) { store, database in
            let jobs = try await indexes(MongoJobStore.jobsCollection, database)
            #expect(jobs["exclusive_active_name"] == nil)
            let fallback = try #require(jobs["exclusive_key"])
            #expect(fallback["unique"] == true && fallback["sparse"] == true && fallback["key"] == ["exclusive_key": 1])
            #expect(store.exclusivity == .exclusiveKeyField)
        }
    }

    @Test func theFallbackSetsExclusiveKeyOnlyWhileAnExclusiveJobIsActive() async throws {
        try await withMongoStore(exclusivity: .exclusiveKeyField) { store, database in
            func key(_ id: ObjectId) async throws -> BSON? { try await rawJob(id, database)?[JobDocument.exclusiveKey] }
            let job = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            #expect(try await key(job.id) == "report")
            let skipped = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            #expect(try await key(skipped.id) == nil)
            let concurrent = try await store.insert(Fixture.job("report"))
            #expect(try await key(concurrent.id) == nil)

            let scope = Fixture.scope("report")
            _ = try await store.claim(scope, now: Fixture.now)
            #expect(try await key(job.id) == "report", "running")
            _ = try await store.finish(job.id, by: scope.workerId, as: .paused, output: nil, at: Fixture.at(1))
            #expect(try await key(job.id) == "report", "paused")
            _ = try await store.claim(scope, now: Fixture.at(2))
            _ = try await store.finish(job.id, by: scope.workerId, as: .finished, output: nil, at: Fixture.at(3))
            #expect(try await key(job.id) == nil, "finished")

            let killed = try await store.insert(Fixture.job("report", concurrency: .exclusive))
            _ = try await store.kill(killed.id, at: Fixture.at(4))
            #expect(try await key(killed.id) == nil, "killed")
        }
    }

    @Test func aRefusedPartialIndexIsLoggedOnceAndPrepareThenCreatesTheFallbackIndex() async throws {
        let database = try TestMongo.database()
        defer { database.close() }
        let records = RecordingLogHandler.Records()
        let store = MongoJobStore(
            database: database, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) }, retention: .fixtureSafe, workerExpiry: .fixtureSafe)
        let refusal = MongoError(.other, operation: "createIndexes", domain: MONGOC_ERROR_SERVER.rawValue, serverCode: 2,
                                 message: "unsupported expression in partial index: $in")
        store.fallBack(because: refusal)
        store.fallBack(because: refusal)
        #expect(records.all.map(\.level) == [.warning])
        #expect(store.exclusivity == .exclusiveKeyField)
        try await store.prepare()
        let jobs = try await indexes(MongoJobStore.jobsCollection, database)
        #expect(jobs["exclusive_key"] != nil && jobs["exclusive_active_name"] == nil)
        #expect(try await store.insert(Fixture.job("x", concurrency: .exclusive)).status == .pending)
        #expect(try await store.insert(Fixture.job("x", concurrency: .exclusive)).status == .skipped)
    }

    @Test func onlyAnUnsupportedFeatureCountsAsARefusedPartialIndex() {
        func server(_ code: UInt32) -> MongoError {
            MongoError(.other, operation: "createIndexes", domain: MONGOC_ERROR_SERVER.rawValue, serverCode: code, message: "")
        }
        #expect(MongoIndexes.refusesPartialIndex(server(2)), "BadValue: unsupported expression in the filter")
        #expect(MongoIndexes.refusesPartialIndex(server(67)), "CannotCreateIndex")
        #expect(MongoIndexes.refusesPartialIndex(MongoError(.unsupported, operation: "", domain: MONGOC_ERROR_SERVER.rawValue,
                                                            serverCode: 115, message: "")))
        #expect(!MongoIndexes.refusesPartialIndex(server(85)), "an index conflict is reported")
        #expect(!MongoIndexes.refusesPartialIndex(server(86)))
        #expect(!MongoIndexes.refusesPartialIndex(server(13)), "missing rights are reported")
        #expect(!MongoIndexes.refusesPartialIndex(MongoError(.duplicateKey, operation: "", domain: MONGOC_ERROR_SERVER.rawValue,
                                                             serverCode: 11000, message: "")))
        #expect(!MongoIndexes.refusesPartialIndex(MongoError(.network, operation: "", message: "")))
    }

    @Test func mongoErrorsMapToUnavailableOrDatabaseWithTheirDescription() {
        let network = MongoError(.network, operation: "find on x", message: "connection refused")
        let mapped = JobStoreError(network, operation: "claim")
        #expect(mapped.code == .unavailable && mapped.operation == "claim" && mapped.reason == network.description)
        #expect(JobStoreError(MongoError(.notPrimary, operation: "", message: ""), operation: "claim").code == .unavailable)
        #expect(JobStoreError(MongoError(.other, operation: "", message: ""), operation: "claim").code == .database)
        #expect(JobStoreError(MongoError(.duplicateKey, operation: "", message: ""), operation: "claim").code == .database)
    }

    @Test func anUnreachableServerIsReportedUnavailable() async throws {
        let uri = try MongoConnectionString("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300")
        let database = try MongoDatabase.connect(uri, database: "nowhere", ioThreads: 1)
        defer { database.close() }
        let store = MongoJobStore(database: database, logger: Logger.silent, retention: .fixtureSafe, workerExpiry: .fixtureSafe)
        let error = await #expect(throws: JobStoreError.self) { try await store.claim(Fixture.scope("a"), now: Fixture.now) }
        #expect(error?.code == .unavailable)
        #expect(error?.operation == "claim")
    }

    @Test func insertingAJobIdTwiceIsAnInvalidJobError() async throws {
        try await withMongoStore { store, _ in
            for concurrency in [ConcurrencyMode.concurrent, .exclusive] {
                let job = try await store.insert(Fixture.job("n-\(concurrency)", concurrency: concurrency))
                let error = await #expect(throws: JobStoreError.self) { try await store.insert(job) }
                #expect(error?.code == .invalidJob, "\(concurrency)")
            }
        }
    }
}
