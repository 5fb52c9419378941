import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// Wake-ups, scope, exclusivity, inline runs, heartbeats and bad input.
@Suite("JobProcessor scheduling")
struct JobProcessorSchedulingTests {
    // Timing is the scheduler's (loop timers, wake-ups), so these run on the memory store: the
    // MongoDB emulator, shared by every test running at once, answers too slowly to time them.
    @Test func aFutureJobStartsAtItsDueTimeNotAtTheNextPoll() async throws {
        let store = MemoryJobStore()
        let startedAt = Recorder<Date>()
        var configuration = QueueConfiguration.testing(store: store, jobs: [
            "later": JobDefinition { _, _ in
                startedAt.append(Date())
                return nil
            },
        ])
        configuration.pollInterval = .milliseconds(900) ... .seconds(1)  // polls alone would be late
        let worker = try RunningProcessor(configuration)
        let due = Date().addingTimeInterval(0.4)
        let job = try await worker.processor.schedule("later", at: due)
        #expect(job.status == .pending)
        _ = try await store.waitFor(job.id, [.finished])
        try await worker.stop()
        let lateness = try #require(startedAt.all.first).timeIntervalSince(due)
        #expect(lateness >= -0.002, "never before its due time (BSON keeps milliseconds)")
        #expect(lateness < 0.35, "started \(lateness) s after its due time")
    }

    // Timing is the scheduler's (loop timers, wake-ups), so these run on the memory store: the
    // MongoDB emulator, shared by every test running at once, answers too slowly to time them.
    @Test func aJobScheduledInTheSameProcessWakesAnIdleWorkerAtOnce() async throws {
        let store = MemoryJobStore()
        var configuration = QueueConfiguration.testing(store: store, jobs: ["now": JobDefinition { _, _ in nil }])
        configuration.pollInterval = .milliseconds(900) ... .seconds(1)
        let worker = try RunningProcessor(configuration)
        // Let the worker go idle on its slow poll: wait for its document, then for one idle poll.
        _ = try await eventually("the worker to register") { try await store.workers().isEmpty ? nil : true }
        let scheduledAt = Date()
        let job = try await worker.processor.schedule("now")
        let ended = try await store.waitFor(job.id, [.finished])
        try await worker.stop()
        let delay = try #require(ended.startedAt).timeIntervalSince(scheduledAt)
        #expect(delay < 0.5, "started \(delay) s after scheduling; the poll interval is 0.9 s")
    }

    // A batch wakes the idle worker as one job does (on the memory store, for the same reason).
    @Test func aBatchScheduledInTheSameProcessWakesAnIdleWorkerAtOnce() async throws {
        let store = MemoryJobStore()
        var configuration = QueueConfiguration.testing(store: store, jobs: ["now": JobDefinition { _, _ in nil }])
        configuration.pollInterval = .milliseconds(900) ... .seconds(1)
        let worker = try RunningProcessor(configuration)
        _ = try await eventually("the worker to register") { try await store.workers().isEmpty ? nil : true }
        let scheduledAt = Date()
        let jobs = try await worker.processor.schedule(many: [JobRequest("now"), JobRequest("now")])
        let ended = try await store.waitFor(jobs[0].id, [.finished])
        try await worker.stop()
        let delay = try #require(ended.startedAt).timeIntervalSince(scheduledAt)
        #expect(delay < 0.5, "started \(delay) s after scheduling; the poll interval is 0.9 s")
    }

    @Test(arguments: StoreKind.processorKinds)
    func taggedJobsRunOnlyOnWorkersWithThatTag(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let ran = Recorder<String>()
        let jobs: [String: JobDefinition] = [
            "main-only": JobDefinition(tag: "main") { job, _ in ran.append(job.name); return nil },
            "other-only": JobDefinition(tag: "other") { job, _ in ran.append(job.name); return nil },
            "anyone": JobDefinition { job, _ in ran.append(job.name); return nil },
        ]
        let worker = try RunningProcessor(.testing(store: store, jobs: jobs, workerTags: ["main"]))
        let mainJob = try await worker.processor.schedule("main-only")
        let otherJob = try await worker.processor.schedule("other-only")
        let anyJob = try await worker.processor.schedule("anyone")
        _ = try await store.waitFor(mainJob.id, [.finished])
        _ = try await store.waitFor(anyJob.id, [.finished])
        try await worker.stop()
        #expect(try await store.job(id: otherJob.id)?.status == .pending)
        #expect(Set(ran.all) == ["main-only", "anyone"])
    }

    @Test(arguments: StoreKind.processorKinds)
    func anExclusiveJobCreatedWhileItsTwinIsActiveIsStoredSkipped(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let processor = try JobProcessor(.testing(store: store, jobs: [
            "report": JobDefinition(concurrency: .exclusive) { _, _ in nil },
        ]))
        let first = try await processor.schedule("report")
        let twin = try await processor.schedule("report")
        #expect(first.status == .pending)
        #expect(twin.status == .skipped)
        #expect(twin.output?.skipMetadata?.conflictingJobId == first.id)
        #expect(try await store.job(id: twin.id)?.status == .skipped)
    }

    @Test(arguments: StoreKind.processorKinds)
    func inlineRunsReturnTheSeedsExitStatuses(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let processor = try JobProcessor(.testing(store: store, jobs: [
            "ok": JobDefinition { _, _ in "fine" },
            "bad": JobDefinition { _, _ in throw JobSignal.Cancelled(reason: .killed) },
        ]))
        #expect(try await processor.runInline("ok") == .finished)
        #expect(try await processor.runInline("bad") == .errored)
        let inline = try await store.jobs(matching: JobQuery(names: ["ok"]))
        #expect(inline.count == 1)
        #expect(inline.first?.sync == true)
        #expect(inline.first?.status == .finished)
        #expect(try await store.workers().isEmpty, "the temporary inline worker is removed")
    }

    @Test(arguments: StoreKind.processorKinds)
    func anInlineRunInAProcessWithNoWorkerIsKilledFromAnotherProcess(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let started = Recorder<ObjectId>()
        let release = JobSignal()  // the handler's way out: its own signal, or the test's at the end
        let jobs = ["long": JobDefinition { job, signal in
            signal.onCancel { _ = release.fire($0) }
            started.append(job.id)
            throw JobSignal.Cancelled(reason: await release.cancelled())
        }]
        let inline = try JobProcessor(.testing(store: store, jobs: jobs))
        // Another process: a processor of its own on the same store, sharing no runtime with the
        // first (neither runs a worker).
        let other = try JobProcessor(.testing(store: store, jobs: jobs))
        let run = Task { try await inline.runInline("long") }
        let id = try await eventually("the inline handler to start") { started.all.first }
        let owner = try #require(try await store.job(id: id)?.workerId)
        #expect(try await other.kill(id) == .signalled(workerId: owner))
        let killed = try? await store.waitFor(id, [.killed], timeout: .seconds(5))
        _ = release.fire(.shutdown)  // ends the handler if the kill never reached it
        #expect(killed != nil, "the inline job was not killed within 5 s")
        #expect(try await run.value == .interrupted)
        #expect(try await store.job(id: id)?.status == .killed)
        #expect(try await store.workers().isEmpty, "the temporary inline worker is removed")
    }

    @Test(arguments: StoreKind.processorKinds)
    func aWorkerWhoseDocumentDisappearedStopsClaimingAndExits(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: ["x": JobDefinition { _, _ in nil }]))
        _ = try await eventually("the worker to register") { try await store.workers().isEmpty ? nil : true }
        try await store.removeWorker(worker.processor.workerId)
        try await worker.finished()
        let job = try await worker.processor.schedule("x")
        #expect(try await store.job(id: job.id)?.status == .pending)
    }

    @Test func unknownJobNamesAreRefusedAndNothingIsStored() async throws {
        let store = MemoryJobStore()
        let processor = try JobProcessor(.testing(store: store, jobs: ["known": JobDefinition { _, _ in nil }]))
        let error = await #expect(throws: QueueError.self) { try await processor.schedule("unknown") }
        #expect(error?.code == .unknownJob)
        #expect(error?.message.contains("\"unknown\"") == true)
        #expect(try await store.jobs(matching: JobQuery()).isEmpty)
    }

    @Test func emptyWorkerTagsAreAConfigurationError() {
        let error = #expect(throws: QueueError.self) {
            try JobProcessor(.testing(store: MemoryJobStore(), jobs: [:], workerTags: []))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("workerTags") == true)
    }

    @Test func oversizedPayloadsAreRefusedAndNothingIsStored() async throws {
        let store = MemoryJobStore()
        let processor = try JobProcessor(.testing(store: store, jobs: ["big": JobDefinition { _, _ in nil }]))
        let huge: BSONDocument = ["blob": .binary(subtype: 0, bytes: [UInt8](repeating: 1, count: 17 * 1024 * 1024))]
        let error = await #expect(throws: QueueError.self) { try await processor.schedule("big", payload: huge) }
        #expect(error?.code == .invalidPayload)
        #expect(try await store.jobs(matching: JobQuery()).isEmpty)
    }

    @Test func anUnreachableDatabaseGivesAStoreErrorNamingIt() async throws {
        let database = try MongoDatabase.connect(
            MongoConnectionString("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=200"), database: "nowhere", ioThreads: 1)
        defer { database.close() }
        let processor = try JobProcessor(.testing(
            store: MongoJobStore(database: database, logger: Logger(label: "test")), jobs: ["x": JobDefinition { _, _ in nil }]))
        let error = await #expect(throws: QueueError.self) { try await processor.schedule("x") }
        #expect(error?.code == .store)
        #expect(error?.message.contains("unavailable") == true)
    }
}
