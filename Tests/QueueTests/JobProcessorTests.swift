import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// SPEC §4 semantics, each proven on every store.
@Suite("JobProcessor")
struct JobProcessorTests {
    struct Boom: Error, JobErrorCause, CustomStringConvertible {
        var cause: (any Error)?
        var description: String { "boom" }
    }
    struct Root: Error, CustomStringConvertible { var description: String { "disk full" } }

    @Test(arguments: StoreKind.processorKinds)
    func scheduledJobRunsOnceAndFinishesWithItsResult(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let runs = Recorder<ObjectId>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "echo": JobDefinition { job, _ in
                runs.append(job.id)
                return job.payload.map { .document($0) }
            },
        ]))
        let job = try await worker.processor.schedule("echo", payload: ["n": 7, "nested": ["a": [1, 2]]])
        let ended = try await store.waitFor(job.id, [.finished, .errored])
        try await worker.stop()
        #expect(ended.status == .finished)
        #expect(ended.output?.result == .document(["n": 7, "nested": ["a": [1, 2]]]))
        #expect(ended.output?.duration != nil)
        #expect(ended.endedAt != nil && ended.startedAt != nil)
        #expect(ended.workerId == nil)
        #expect(runs.all == [job.id])
    }

    @Test(arguments: StoreKind.processorKinds)
    func throwingHandlerErrorsWithItsMessageAndCauseChain(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "fail": JobDefinition { _, _ in throw Boom(cause: Root()) },
        ]))
        let job = try await worker.processor.schedule("fail")
        let ended = try await store.waitFor(job.id, [.finished, .errored])
        try await worker.stop()
        #expect(ended.status == .errored)
        #expect(ended.output?.error == "boom\ncaused by: disk full")
    }

    @Test(arguments: StoreKind.processorKinds)
    func onJobExitedRunsOnceWithTheFinalJobAndItsFailureChangesNothing(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let exits = Recorder<Job>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "work": JobDefinition(onJobExited: { job in
                exits.append(job)
                throw Root()
            }) { _, _ in "done" },
        ]))
        let job = try await worker.processor.schedule("work")
        _ = try await eventually("onJobExited") { exits.count == 1 ? true : nil }
        try await worker.stop()
        #expect(exits.count == 1)
        #expect(exits.all.first?.status == .finished)
        #expect(exits.all.first?.output?.result == "done")
        #expect(try await store.job(id: job.id)?.status == .finished)
    }

    @Test(arguments: StoreKind.processorKinds)
    func aOneOffJobPastItsMaxRuntimeIsSignalledAndEndsErroredWithOnJobExited(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let exits = Recorder<Job>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "slow": JobDefinition(maxRuntime: .milliseconds(200), onJobExited: { exits.append($0) }) { _, signal in
                let reason = await signal.cancelled()
                #expect(reason == .maxRuntimeExceeded)
                throw JobSignal.Cancelled(reason: reason)
            },
        ]))
        let job = try await worker.processor.schedule("slow")
        let ended = try await store.waitFor(job.id, [.errored, .finished])
        _ = try await eventually("onJobExited") { exits.count == 1 ? true : nil }
        try await worker.stop()
        #expect(ended.status == .errored)
        #expect(ended.output?.error == "Max runtime exceeded")
        #expect(exits.all.map(\.id) == [job.id])
    }

    @Test(arguments: StoreKind.processorKinds)
    func aJobThatFailsOnceIsRetriedAfterItsBackOffAndEndsOnceWithItsAttempts(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let exits = Recorder<Job>()
        let runs = Recorder<Int>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "flaky": JobDefinition(
                retry: .exponential(maxAttempts: 3, base: .milliseconds(100), jitter: 0), onJobExited: { exits.append($0) }
            ) { job, _ in
                runs.append(job.attempts)
                if job.attempts == 0 { throw Boom(cause: nil) }
                return "ok"
            },
        ]))
        let job = try await worker.processor.schedule("flaky")
        let ended = try await store.waitFor(job.id, [.finished, .errored])
        _ = try await eventually("onJobExited") { exits.count == 1 ? true : nil }
        try await worker.stop()
        #expect(ended.status == .finished)
        #expect(ended.attempts == 1)
        #expect(ended.attemptErrors.map(\.error) == ["boom"])
        #expect(runs.all == [0, 1], "run twice, the second run seeing the first failure")
        #expect(exits.count == 1 && exits.all.first?.status == .finished, "onJobExited once, when it ended for good")
    }

    @Test func aMaxRuntimeThatIsNotPositiveIsAConfigurationError() {
        let error = #expect(throws: QueueError.self) {
            try JobProcessor(.testing(store: MemoryJobStore(), jobs: [
                "never": JobDefinition(maxRuntime: .zero) { _, _ in nil },
            ]))
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("never") == true && error?.message.contains("maxRuntime") == true)
    }

    @Test(arguments: StoreKind.processorKinds)
    func aWorkerNeverRunsMoreHandlersThanItsConcurrency(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let gauge = ConcurrencyGauge()
        let configuration = QueueConfiguration.testing(store: store, jobs: [
            "slow": JobDefinition { _, _ in
                gauge.enter()
                defer { gauge.leave() }
                try await Task.sleep(for: .milliseconds(100))
                return nil
            },
        ], concurrency: 3)
        // Every job is due before the worker starts, so slots are the only limit.
        let client = try JobProcessor(configuration)
        var ids: [ObjectId] = []
        for _ in 0..<12 { ids.append(try await client.schedule("slow").id) }
        let worker = try RunningProcessor(configuration)
        for id in ids { _ = try await store.waitFor(id, [.finished]) }
        try await worker.stop()
        #expect(gauge.peak <= 3)
        #expect(gauge.peak >= 2, "jobs should overlap when slots allow")
    }

    @Test(arguments: StoreKind.processorKinds)
    func shutdownPausesResumableJobsAndErrorsOthersAsInterrupted(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let exits = Recorder<Job>()
        let started = Recorder<String>()
        let waitForSignal: JobDefinition.Handler = { job, signal in
            started.append(job.name)
            _ = await signal.cancelled()
            throw CancellationError()
        }
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "resumable": JobDefinition(resumable: true, onJobExited: { exits.append($0) }, handler: waitForSignal),
            "oneshot": JobDefinition(onJobExited: { exits.append($0) }, handler: waitForSignal),
        ]))
        let resumable = try await worker.processor.schedule("resumable")
        let oneshot = try await worker.processor.schedule("oneshot")
        _ = try await eventually("both handlers to start") { started.count == 2 ? true : nil }
        try await worker.stop()
        let paused = try #require(try await store.job(id: resumable.id))
        let interrupted = try #require(try await store.job(id: oneshot.id))
        #expect(paused.status == .paused)
        #expect(paused.endedAt == nil && paused.workerId == nil)
        #expect(interrupted.status == .errored)
        #expect(interrupted.output?.error == "Interrupted")
        #expect(exits.all.map(\.id) == [oneshot.id], "onJobExited for the interrupted job only, not the paused one")
        #expect(try await store.workers().isEmpty, "the worker document is removed at shutdown")
    }

    @Test(arguments: StoreKind.processorKinds)
    func aPausedJobIsResumedByTheNextWorkerKeepingItsStartTime(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let attempts = Recorder<Int>()
        let definition = JobDefinition(resumable: true) { _, signal in
            attempts.append(attempts.count)
            if attempts.count == 1 {
                _ = await signal.cancelled()
                throw CancellationError()
            }
            return "resumed"
        }
        let first = try RunningProcessor(.testing(store: store, jobs: ["long": definition]))
        let job = try await first.processor.schedule("long")
        _ = try await eventually("the first attempt") { attempts.count == 1 ? true : nil }
        try await first.stop()
        let paused = try await store.waitFor(job.id, [.paused])
        let second = try RunningProcessor(.testing(store: store, jobs: ["long": definition]))
        let finished = try await store.waitFor(job.id, [.finished])
        try await second.stop()
        #expect(finished.output?.result == "resumed")
        #expect(finished.startedAt == paused.startedAt)
    }

    @Test(arguments: StoreKind.processorKinds)
    func aHandlerIgnoringItsSignalIsAbandonedAfterTheGracePeriod(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let started = Recorder<Bool>()
        let release = JobSignal()  // lets the stubborn handler end when the test is over
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "stubborn": JobDefinition { _, _ in
                started.append(true)
                _ = await release.cancelled()
                return "too late"
            },
        ], grace: .milliseconds(300)))
        let job = try await worker.processor.schedule("stubborn")
        _ = try await eventually("the handler to start") { started.count == 1 ? true : nil }
        try await worker.stop()
        let ended = try #require(try await store.job(id: job.id))
        release.fire(.shutdown)
        #expect(ended.status == .errored)
        #expect(ended.output?.error == "Interrupted")
    }

    @Test func theSignalAlsoCancelsTheHandlersTask() async throws {
        let store = MemoryJobStore()
        let started = Recorder<Bool>()
        let observed = Recorder<JobSignal.Reason>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "sleeper": JobDefinition { _, signal in
                signal.onCancel { observed.append($0) }
                started.append(true)
                try await Task.sleep(for: .seconds(120))  // ends only through task cancellation
                return "slept"
            },
        ], grace: .seconds(120)))
        let job = try await worker.processor.schedule("sleeper")
        _ = try await eventually("the handler to start") { started.count == 1 ? true : nil }
        let stopping = ContinuousClock.now
        try await worker.stop()
        #expect(ContinuousClock.now - stopping < .seconds(60), "the task was cancelled, not waited for")
        #expect(observed.all == [.shutdown])
        #expect(try await store.job(id: job.id)?.output?.error == "Interrupted")
    }

    @Test(arguments: StoreKind.processorKinds)
    func cpuBoundHandlersRunOnTheBoundedDispatchPool(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let gauge = ConcurrencyGauge()
        var configuration = QueueConfiguration.testing(store: store, jobs: [
            "crunch": .cpuBound { job, _ in
                gauge.enter()
                defer { gauge.leave() }
                var x: UInt64 = 1
                for i in 0..<200_000 { x = x &* 6364136223846793005 &+ UInt64(i) }
                return .int64(Int64(bitPattern: x))
            },
        ], concurrency: 8)
        configuration.cpuConcurrency = 2
        let worker = try RunningProcessor(configuration)
        var ids: [ObjectId] = []
        for _ in 0..<10 { ids.append(try await worker.processor.schedule("crunch").id) }
        for id in ids { #expect(try await store.waitFor(id, [.finished, .errored]).status == .finished) }
        try await worker.stop()
        #expect(gauge.peak <= 2)
    }
}
