import Foundation
import Synchronization
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// How a worker groups endings into store calls (``EndingGather``), seen from the store.
@Suite("Ending writes")
struct EndingWriteTests {
    @Test func handlersThatEndTogetherAreWrittenInOneCallPerBatch() async throws {
        // A store call takes 50 ms, and endings may wait as long for others (the product's
        // 1 ms, widened so that a loaded machine's late wake-ups do not split a batch).
        let store = EndingWriteRecorder(MemoryJobStore(), writeDelay: .milliseconds(50))
        // The handlers of a batch end over 2.1 ms (0, 0.3, ..., 2.1 ms): together, but not at
        // the same instant, as real handlers do.
        let started = Atomic(0)
        var configuration = QueueConfiguration.testing(store: store, jobs: [
            "brief": JobDefinition { _, _ in
                let rank = started.wrappingAdd(1, ordering: .relaxed).oldValue % 8
                if rank > 0 { try await Task.sleep(for: .microseconds(300 * rank)) }
                return nil
            },
        ], concurrency: 8)
        configuration.endingWaitLimit = .milliseconds(50)
        let scheduler = try JobProcessor(configuration)
        var ids: [ObjectId] = []
        for _ in 0..<64 { ids.append(try await scheduler.schedule("brief").id) }
        let worker = try RunningProcessor(configuration)
        for id in ids { _ = try await store.waitFor(id, [.finished]) }
        try await worker.stop()
        let writes = store.endingsPerWrite
        #expect(writes.reduce(0, +) == 64)
        // 8 batches of 8 need 8 writes (9: the first write, before the store's round trip is
        // known, does not wait; 2 more allowed for a handler stalled 50 ms on a loaded
        // machine). Written as soon as the store is free, the first ending of a batch would go
        // alone and the other 7 in the next call: 16 writes.
        #expect(writes.count <= 11, "endings per write: \(writes)")
    }
}
