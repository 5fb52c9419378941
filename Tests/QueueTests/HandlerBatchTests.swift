import Foundation
import Synchronization
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// How a claimed batch's async handlers are started (``HandlerBatch``): each in its own task,
/// never on the loop thread, none held back by another.
@Suite("HandlerBatch")
struct HandlerBatchTests {
    /// The calling thread's name (the loop's thread is named "job-processor").
    private static func threadName() -> String {
        let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        return name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }

    @Test func eachHandlerOfABatchRunsInItsOwnTaskOffTheLoopThread() async throws {
        let store = MemoryJobStore()
        let seen = Recorder<(thread: String, task: Int?)>()
        let cancelled = Recorder<Bool>()
        let configuration = QueueConfiguration.testing(store: store, jobs: [
            "work": JobDefinition { _, _ in
                withUnsafeCurrentTask { seen.append((Self.threadName(), $0?.hashValue)) }
                do { try await Task.sleep(for: .seconds(60)) } catch { cancelled.append(Task.isCancelled) }
                return nil
            },
        ], concurrency: 8, grace: .seconds(60))
        let client = try JobProcessor(configuration)
        for _ in 0..<8 { try await client.schedule("work") }  // stored before the worker runs: one batch
        let worker = try RunningProcessor(configuration)
        _ = try await eventually("every handler to start") { seen.count == 8 ? true : nil }
        #expect(seen.all.allSatisfy { $0.thread != "job-processor" })
        #expect(Set(seen.all.compactMap(\.task)).count == 8, "one task per handler")
        let stopping = ContinuousClock.now
        try await worker.stop()
        #expect(ContinuousClock.now - stopping < .seconds(30), "shutdown cancelled every handler's own task")
        #expect(cancelled.all == Array(repeating: true, count: 8))
    }

    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1, "needs a second worker thread"))
    func aHandlerThatKeepsItsThreadBusyDoesNotHoldBackTheOthersOfItsBatch() async throws {
        let store = MemoryJobStore()
        let othersStarted = Atomic<Int>(0)
        let hogSaw = Recorder<Int>()
        let configuration = QueueConfiguration.testing(store: store, jobs: [
            // Keeps its thread busy (as a long synchronous stretch would) until the others have
            // started, for 2 s at most, so that a starved test run is not held up longer.
            "hog": JobDefinition { _, _ in
                let deadline = ContinuousClock.now + .seconds(2)
                while othersStarted.load(ordering: .acquiring) < 3, ContinuousClock.now < deadline {}
                hogSaw.append(othersStarted.load(ordering: .acquiring))
                return nil
            },
            "quick": JobDefinition { _, _ in
                othersStarted.add(1, ordering: .releasing)
                return nil
            },
        ], concurrency: 4)
        let client = try JobProcessor(configuration)
        let hog = try await client.schedule("hog", at: Date().addingTimeInterval(-1))  // first in the batch
        for _ in 0..<3 { try await client.schedule("quick") }
        let worker = try RunningProcessor(configuration)
        _ = try await store.waitFor(hog.id, [.finished], timeout: .seconds(30))
        try await worker.stop()
        #expect(hogSaw.all == [3], "the other handlers started while the first one held its thread")
    }
}
