import Foundation
import GRDB
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// SPEC §7 "No poison": nothing a store holds can crash a worker, stall a claim or stop crash
/// recovery. Documents are written past the store, as another program or a damaged file would.
@Suite("No poison")
struct PoisonTests {
    /// Runs `body` with a fresh store of `kind` (MongoDB or SQLite) and its raw writer.
    private func withHostileStore(_ kind: StoreKind, _ body: (any JobStore, RawWriter) async throws -> Void) async throws {
        if kind == .mongo {
            return try await withMongoStore { store, database in try await body(store, RawWriter(store: store, mongo: database)) }
        }
        let (store, close) = try await kind.make()
        defer { close() }
        try await body(store, RawWriter(store: store, mongo: nil))
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func recoveryTakesOverADeadWorkerDespiteUnreadableJobsAndWorkerDocuments(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let dead = ObjectId()
            let longAgo = Date().addingTimeInterval(-3600)
            try await store.registerWorker(WorkerRecord(id: dead, hostname: "gone", tags: nil, lastSeen: longAgo))
            try await raw.insertWorkerWithNumericHostname(ObjectId(), lastSeen: Date())
            let unreadable = ObjectId()
            let payload: BSON = kind == .mongo ? "not an object" : .binary(subtype: 0, bytes: [0xDE, 0xAD, 0xBE, 0xEF])
            try await raw.insertJob(unreadable, name: "work", [
                "status": "running", "worker_id": .objectId(dead), "payload": payload, "updated_at": .date(longAgo),
            ])
            var readable = Fixture.job("work", status: .running, workerId: dead)
            readable.updatedAt = longAgo
            readable = try await store.insert(readable)

            let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
            let recovered = try await store.waitFor(readable.id, [.errored])
            try await eventually("the unreadable job recovered too") {
                try await raw.status(unreadable) == "errored" ? () : nil
            }
            try await worker.stop()
            #expect(recovered.output?.error == "Worker crashed unexpectedly")
        }
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func anUnreadableSignalIsAcknowledgedOnceAndTheOthersStillArrive(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let (worker, job, unreadable) = (ObjectId(), ObjectId(), ObjectId())
            try await raw.insertSignal(unreadable, worker: worker, type: "explode")
            try await raw.insertSignal(ObjectId(), worker: worker, type: "kill", job: job)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job])
            #expect(try await raw.signalAcknowledged(unreadable) == true)
            #expect(try await store.pendingSignals(for: worker).map(\.jobId) == [job], "reported once")
        }
    }

    /// A payload holding every BSON type MongoDB stores.
    static let everyType: BSONDocument = [
        "decimal": .decimal128(Decimal128("12345.6789E-3")!), "regex": .regularExpression(pattern: "^a.*z$", options: "im"),
        "timestamp": .timestamp(t: 1_750_000_000, i: 7), "min": .minKey, "max": .maxKey, "code": .javascript("return 1"),
        "scoped": .javascriptWithScope(code: "return x", scope: ["x": 1]), "symbol": .symbol("sym"),
        "pointer": .dbPointer(ref: "other.collection", id: ObjectId()), "undefined": .undefined,
        "uuid": .binary(subtype: 4, bytes: Array(repeating: 0xAB, count: 16)), "user": .binary(subtype: 0x80, bytes: [1, 2, 3]),
        "long": .int64(5), "date": .date(Date(timeIntervalSince1970: -62_135_596_800)),
    ]

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func payloadsOfEveryBSONTypeAreClaimedInBatchesRunAndWrittenBackUnchanged(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            var ids: [ObjectId] = []
            for _ in 0..<6 {
                let id = ObjectId()
                try await raw.insertJob(id, name: "echo", ["payload": .document(Self.everyType)])
                ids.append(id)
            }
            let worker = try RunningProcessor(.testing(store: store, jobs: [
                "echo": JobDefinition { job, _ in job.payload.map { .document($0) } },
            ]))
            // The MongoDB test server keeps documents through Python's bson codec, which turns
            // three deprecated types into others as it stores them (MongoDB keeps them): what it
            // returns is what we must write back.
            var expected = Self.everyType
            if kind == .mongo {
                expected["symbol"] = "sym"
                if case .dbPointer(let ref, let id)? = expected["pointer"] {
                    expected["pointer"] = ["$ref": .string(ref), "$id": .objectId(id)]
                }
                expected["undefined"] = .null
            }
            for id in ids {
                let ended = try await store.waitFor(id, [.finished, .errored])
                #expect(ended.status == .finished, "\(String(describing: ended.output))")
                #expect(ended.output?.result == .document(expected))
                #expect(ended.payload == expected)
            }
            try await worker.stop()
        }
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func aPayloadNestedDeeperThanAnyReaderGoesIsRecordedErroredAndTheOthersRun(_ kind: StoreKind) async throws {
        try await withHostileStore(kind) { store, raw in
            let deep = ObjectId()
            // SQLite holds whatever bytes a program writes; the test server stores what the
            // reader refuses (MongoDB itself stops at 100 levels).
            var nested: BSONDocument = ["leaf": true]
            for _ in 0..<200 { nested = ["a": .document(nested)] }
            try await raw.insertJob(deep, name: "echo", [
                "payload": kind == .sqlite ? .binary(subtype: 0, bytes: HostileFleetTests.deeplyNested(100_000)) : .document(nested),
                "scheduled_for": .date(Date().addingTimeInterval(-1)),
            ])
            let worker = try RunningProcessor(.testing(store: store, jobs: ["echo": JobDefinition { _, _ in nil }]))
            let others = try await (0..<4).asyncMap { _ in try await worker.processor.schedule("echo").id }
            for id in others { #expect(try await store.waitFor(id, [.finished, .errored]).status == .finished) }
            try await eventually("the deep job recorded errored") { try await raw.status(deep) == "errored" ? () : nil }
            try await worker.stop()
        }
    }

    @Test func payloadsMongoDBWouldRefuseAreRefusedWhenScheduling() async throws {
        let processor = try JobProcessor(.testing(store: MemoryJobStore(), jobs: ["work": JobDefinition { _, _ in nil }]))
        var nested: BSONDocument = ["leaf": true]
        for _ in 0..<100 { nested = ["a": .document(nested)] }
        let deep = await #expect(throws: QueueError.self) { try await processor.schedule("work", payload: nested) }
        #expect(deep?.code == .invalidPayload && deep?.message.contains("deep") == true, "\(String(describing: deep))")
        let big: BSONDocument = ["blob": .binary(subtype: 0, bytes: Array(repeating: 0, count: 17 * 1024 * 1024))]
        let large = await #expect(throws: QueueError.self) { try await processor.schedule("work", payload: big) }
        #expect(large?.code == .invalidPayload && large?.message.contains("bytes") == true, "\(String(describing: large))")
    }

    @Test(arguments: StoreKind.processorKinds)
    func aResultTooLargeToStoreEndsItsJobErrored(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "huge": JobDefinition { _, _ in ["blob": .binary(subtype: 0, bytes: Array(repeating: 7, count: 17 * 1024 * 1024))] },
        ]))
        let job = try await worker.processor.schedule("huge")
        let ended = try await store.waitFor(job.id, [.finished, .errored])
        try await worker.stop()
        #expect(ended.status == .errored)
        #expect(ended.output?.error?.hasPrefix("result too large") == true, "\(String(describing: ended.output?.error))")
    }

    @Test(arguments: StoreKind.processorKinds)
    func jobsDueCenturiesAheadNeitherStopAWorkerNorDelayTheOthers(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let worker = try RunningProcessor(.testing(store: store, jobs: ["work": JobDefinition { _, _ in nil }]))
        let year2400 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 13_569_465_600))
        let year9999 = try await worker.processor.schedule("work", at: Date(timeIntervalSince1970: 253_402_300_799))
        let now = try await worker.processor.schedule("work")
        #expect(try await store.waitFor(now.id, [.finished]).status == .finished)
        try await worker.stop()
        #expect(try await store.job(id: year2400.id)?.status == .pending)
        #expect(try await store.job(id: year9999.id)?.status == .pending)
    }

    @Test func datesOutsideYears1To9999AreRefusedWhenScheduling() async throws {
        let processor = try JobProcessor(.testing(store: MemoryJobStore(), jobs: ["work": JobDefinition { _, _ in nil }]))
        for date in [Date(timeIntervalSince1970: 253_402_300_800), Date(timeIntervalSince1970: -62_135_596_801)] {
            let error = await #expect(throws: QueueError.self) { try await processor.schedule("work", at: date) }
            #expect(error?.code == .invalidDate)
            #expect(error?.message.contains("work") == true)
        }
        #expect(try await processor.schedule("work", at: Date(timeIntervalSince1970: -62_135_596_800)).status == .pending)
    }
}

extension Sequence {
    /// The results of `transform` on each element, in order, one after the other.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
