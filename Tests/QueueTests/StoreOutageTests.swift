import Foundation
import Logging
import Synchronization
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// SPEC §7 "Outages": a worker whose store fails keeps every ending and writes it once the store
/// answers, releases the jobs whose claim it lost, backs off, and logs an outage once.
@Suite("Store outages")
struct StoreOutageTests {
    /// A handler that waits for ``open()`` before returning, so that a test can take the store
    /// down while a job runs.
    final class Gate: Sendable {
        private let opened = Mutex(false)
        func open() { opened.withLock { $0 = true } }
        func wait() async throws {
            try await eventually("the gate to open", timeout: .seconds(30)) { opened.withLock { $0 } ? () : nil }
        }
    }

    private static func configuration(
        _ store: any JobStore, _ jobs: [String: JobDefinition], logs: RecordingLogHandler.Records? = nil
    ) -> QueueConfiguration {
        var configuration = QueueConfiguration.testing(store: store, jobs: jobs)
        if let logs { configuration.logger = Logger(label: "test.outage") { _ in RecordingLogHandler(records: logs) } }
        return configuration
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func anEndingTheStoreCouldNotTakeIsWrittenOnceItAnswersAndExitsOnce(_ kind: StoreKind) async throws {
        let (base, close) = try await kind.make()
        defer { close() }
        let store = FaultyStore(base)
        let gate = Gate()
        let exits = Recorder<Job>()
        let worker = try RunningProcessor(Self.configuration(store, [
            "work": JobDefinition(onJobExited: { exits.append($0) }) { _, _ in
                try await gate.wait()
                return "done"
            },
        ]))
        let job = try await worker.processor.schedule("work")
        _ = try await base.waitFor(job.id, [.running])
        store.down = true
        gate.open()
        try await eventually("the ending to fail a few times") { store.failedCalls >= 3 ? () : nil }
        #expect(try await base.job(id: job.id)?.status == .running, "not written while the store is down")
        store.down = false
        let ended = try await base.waitFor(job.id, [.finished, .errored])
        try await eventually("onJobExited") { exits.count == 1 ? () : nil }
        try await worker.stop()
        #expect(ended.status == .finished && ended.output?.result == "done")
        #expect(exits.all.map(\.id) == [job.id])
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func anEndingWrittenWhoseReplyWasLostIsRecognisedAndExitsOnce(_ kind: StoreKind) async throws {
        let (base, close) = try await kind.make()
        defer { close() }
        let store = FaultyStore(base)
        let gate = Gate()
        let exits = Recorder<Job>()
        let worker = try RunningProcessor(Self.configuration(store, [
            "work": JobDefinition(onJobExited: { exits.append($0) }) { _, _ in
                try await gate.wait()
                return 42
            },
        ]))
        let job = try await worker.processor.schedule("work")
        _ = try await base.waitFor(job.id, [.running])
        store.lostReplies = [.finish]
        gate.open()
        let ended = try await base.waitFor(job.id, [.finished, .errored])
        try await eventually("a lost reply") { store.failedCalls >= 1 ? () : nil }
        store.lostReplies = []
        try await eventually("onJobExited after the retry") { exits.count == 1 ? () : nil }
        try await worker.stop()
        #expect(ended.status == .finished && ended.output?.result == 42)
        #expect(exits.all.map(\.status) == [.finished], "once, with the job as stored")
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func aJobWhoseClaimReplyWasLostGoesBackToPendingAndRunsOnce(_ kind: StoreKind) async throws {
        let (base, close) = try await kind.make()
        defer { close() }
        let store = FaultyStore(base)
        let runs = Recorder<ObjectId>()
        store.lostReplies = [.claim]
        let worker = try RunningProcessor(Self.configuration(store, [
            "work": JobDefinition { job, _ in
                runs.append(job.id)
                return nil
            },
        ]))
        let job = try await worker.processor.schedule("work")
        _ = try await base.waitFor(job.id, [.running])
        try await eventually("a claim reply lost") { store.failedCalls >= 1 ? () : nil }
        #expect(runs.count == 0, "the worker never learnt of its claim")
        store.lostReplies = []
        let ended = try await base.waitFor(job.id, [.finished])
        try await worker.stop()
        #expect(ended.workerId == nil)
        #expect(runs.all == [job.id], "released, claimed again, run once")
    }

    @Test(arguments: [StoreKind.memory, .sqlite])
    func aCronTickWhoseReplyWasLostRunsItsTaskOnceWhenTakenAgain(_ kind: StoreKind) async throws {
        let (base, close) = try await kind.make()
        defer { close() }
        let store = FaultyStore(base)
        let runs = Recorder<ObjectId>()
        store.lostReplies = [.advanceCron]
        var configuration = QueueConfiguration.testing(store: store, jobs: [:], crons: [
            "every-second": CronDefinition("* * * * * *") { _, task in
                runs.append(task.id)
                return nil
            },
        ])
        configuration.logger = Logger.silent
        let worker = try RunningProcessor(configuration)
        // The first tick is taken (its task stored for this worker to run, the cron moved), but
        // the worker is told that it failed.
        let lost = try await eventually("a tick whose reply was lost") {
            store.failedCalls >= 1
                ? try await base.jobs(matching: JobQuery(names: ["every-second"], types: [.cronTask])).first : nil
        }
        store.lostReplies = []
        let ended = try? await base.waitFor(lost.id, [.finished, .errored, .killed], timeout: .seconds(5))
        try await worker.stop()
        #expect(ended?.status == .finished, "the task of the lost reply never ran")
        #expect(runs.all.filter { $0 == lost.id }.count == 1)
        let ticks = try await base.jobs(matching: JobQuery(names: ["every-second"], types: [.cronTask])).map(\.scheduledFor)
        #expect(Set(ticks).count == ticks.count, "one task per tick")
    }

    @Test func anOutageIsLoggedOnceWhenItBeginsAndOnceWhenItEndsNotAtEveryRetry() async throws {
        let store = FaultyStore(MemoryJobStore())
        let logs = RecordingLogHandler.Records()
        let worker = try RunningProcessor(Self.configuration(store, ["work": JobDefinition { _, _ in nil }], logs: logs))
        let first = try await worker.processor.schedule("work")
        _ = try await store.base.waitFor(first.id, [.finished])  // the worker runs: its start needs the store
        store.down = true
        // Claims (polled every 5-50 ms) and heartbeats (every 200 ms) fail many times over.
        try await eventually("ten failed calls") { store.failedCalls >= 10 ? () : nil }
        store.down = false
        try await eventually("the outage's end logged") {
            logs.all.contains { $0.message == "the store answers again" } ? () : nil
        }
        let job = try await worker.processor.schedule("work")
        _ = try await store.base.waitFor(job.id, [.finished])
        try await worker.stop()
        let warnings = logs.all.filter { $0.level >= .warning }
        #expect(warnings.count == 1, "\(warnings.map(\.message))")
        #expect(warnings.first?.message.hasPrefix("the store is failing") == true)
        #expect(logs.all.filter { $0.message == "the store answers again" }.count == 1)
    }

    @Test func failedClaimsBackOffInsteadOfRetryingAtThePollInterval() async throws {
        let store = FaultyStore(MemoryJobStore())
        var configuration = Self.configuration(store, ["work": JobDefinition { _, _ in nil }])
        configuration.pollInterval = .milliseconds(1) ... .milliseconds(2)
        configuration.heartbeatInterval = .seconds(60)
        configuration.deadWorkerTimeout = .seconds(120)
        let worker = try RunningProcessor(configuration)
        let job = try await worker.processor.schedule("work")
        _ = try await store.base.waitFor(job.id, [.finished])  // the worker runs: its start needs the store
        let before = store.failedCalls
        store.down = true
        try await eventually("the first failed call") { store.failedCalls > before ? () : nil }
        let (start, first) = (ContinuousClock.now, store.failedCalls)
        // The idle worker's calls (a claim, then the search for claims whose reply was lost)
        // wait 100, 200 and 400 ms after each failure, each shortened by at most a quarter:
        // three more failures take at least 525 ms (one may be a read that was already under
        // way); at the 1-2 ms poll interval they would take a few ms.
        try await eventually("four more failed calls") { store.failedCalls >= first + 4 ? () : nil }
        let elapsed = ContinuousClock.now - start
        store.down = false
        try await worker.stop()
        #expect(elapsed >= .milliseconds(500), "\(elapsed)")
    }

    @Test func shutdownWaitsForEndingsWithinTheGracePeriodThenLeavesThemToRecovery() async throws {
        let store = FaultyStore(MemoryJobStore())
        let gate = Gate()
        var configuration = Self.configuration(store, [
            "work": JobDefinition { _, _ in
                try await gate.wait()
                return nil
            },
        ])
        configuration.shutdownGracePeriod = .milliseconds(500)
        let worker = try RunningProcessor(configuration)
        let job = try await worker.processor.schedule("work")
        _ = try await store.base.waitFor(job.id, [.running])
        store.down = true
        gate.open()
        try await eventually("the ending to fail") { store.failedCalls >= 1 ? () : nil }
        let began = ContinuousClock.now
        try await worker.stop()
        #expect(ContinuousClock.now - began < .seconds(8), "stopped after the grace period, not never")
        #expect(try await store.base.job(id: job.id)?.status == .running, "left to crash recovery")
    }
}
