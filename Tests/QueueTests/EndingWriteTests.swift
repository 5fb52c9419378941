import Foundation
import Synchronization
import Testing
@testable import Queue

/// How a worker groups endings into store calls (``EndingGather``), seen from the store.
@Suite("Ending writes")
struct EndingWriteTests {
    @Test func handlersThatEndTogetherAreWrittenInOneCallPerBatch() async throws {
        let store = EndingWriteRecorder(MemoryJobStore(), writeDelay: .milliseconds(5))
        // The handlers of a batch end over 0.35 ms (0, 50, ..., 350 µs): together, but not at
        // the same instant, as real handlers do.
        let started = Atomic(0)
        let configuration = QueueConfiguration.testing(store: store, jobs: [
            "brief": JobDefinition { _, _ in
                let rank = started.wrappingAdd(1, ordering: .relaxed).oldValue % 8
                if rank > 0 { try await Task.sleep(for: .microseconds(50 * rank)) }
                return nil
            },
        ], concurrency: 8)
        let scheduler = try JobProcessor(configuration)
        var ids: [ObjectId] = []
        for _ in 0..<64 { ids.append(try await scheduler.schedule("brief").id) }
        let worker = try RunningProcessor(configuration)
        for id in ids { _ = try await store.waitFor(id, [.finished]) }
        try await worker.stop()
        let writes = store.endingsPerWrite
        #expect(writes.reduce(0, +) == 64)
        // 8 batches of 8 need 8 writes. Written as soon as the store is free, the first ending
        // of a batch would go alone and the other 7 in the next call, for ~16 writes. The
        // margin allows for a few handlers delayed past the 1 ms wait on a loaded machine.
        #expect(writes.count <= 12, "endings per write: \(writes)")
    }
}
