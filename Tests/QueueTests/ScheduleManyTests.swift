import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// `schedule(many:)`: a batch of jobs in one store call, checked whole before anything is
/// stored. What each store does with the batch is in the conformance suite (`insert(many:)`).
@Suite("schedule(many:)")
struct ScheduleManyTests {
    struct Mail: Codable, Sendable, Equatable {
        var to: String
    }

    /// A payload whose encoding fails when asked to, as a value BSON cannot hold would.
    struct Refusing: Codable, Sendable {
        var refuse: Bool
        struct Refused: Error {}
        func encode(to encoder: any Encoder) throws {
            if refuse { throw Refused() }
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(refuse, forKey: .refuse)
        }
    }

    @Test(arguments: StoreKind.processorKinds)
    func aBatchScheduledOnAProcessorRunsEveryJobInOrderOfDueTime(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let runs = Recorder<Int>()
        let worker = try RunningProcessor(.testing(store: store, jobs: [
            "count": JobDefinition { job, _ in
                runs.append(job.payload?["n"]?.intValue ?? -1)
                return nil
            },
        ], concurrency: 1))
        let now = Date()
        let requests = (0..<50).map { index in
            JobRequest("count", payload: ["n": .int32(Int32(index))], at: now.addingTimeInterval(Double(index) / 1000))
        }
        let stored = try await worker.processor.schedule(many: requests)
        #expect(stored.map { $0.payload?["n"]?.intValue } == (0..<50).map { $0 })
        #expect(stored.allSatisfy { $0.status == .pending && $0.name == "count" })
        _ = try await store.waitFor(try #require(stored.last).id, [.finished])
        try await eventually("every job to finish") {
            try await store.jobs(matching: JobQuery(statuses: [.finished], limit: 100)).count == 50 ? true : nil
        }
        try await worker.stop()
        #expect(runs.all == Array(0..<50), "one worker, one at a time: earliest due first")
    }

    @Test func aBatchHoldingAJobThatOneScheduleWouldRefuseStoresNothingAndNamesItsIndex() async throws {
        let store = MemoryJobStore()
        var deep: BSONDocument = ["leaf": 1]
        for _ in 0..<120 { deep = ["a": .document(deep)] }
        let refusals: [(requests: [JobRequest], index: Int, code: QueueError.Code)] = [
            ([JobRequest("a"), JobRequest("b"), JobRequest("c", at: Date(timeIntervalSince1970: 1e12))], 2, .invalidDate),
            ([JobRequest("a", payload: deep), JobRequest("b")], 0, .invalidPayload),
        ]
        let client = JobClient(store: store, logger: .silent)
        for refusal in refusals {
            let error = await #expect(throws: QueueError.self) { try await client.schedule(many: refusal.requests) }
            #expect(error?.jobIndex == refusal.index)
            #expect(error?.code == refusal.code)
            #expect(error?.message.hasPrefix("job at index \(refusal.index): ") == true, "\(String(describing: error))")
        }
        let processor = try JobProcessor(.testing(store: store, jobs: ["known": JobDefinition { _, _ in nil }]))
        let unknown = await #expect(throws: QueueError.self) {
            try await processor.schedule(many: [JobRequest("known"), JobRequest("known"), JobRequest("unknown")])
        }
        #expect(unknown?.code == .unknownJob && unknown?.jobIndex == 2)
        #expect(try await store.jobs(matching: JobQuery()).isEmpty, "nothing stored")
    }

    @Test func aStoreRefusalKeepsTheIndexOfTheJobItRefusedInTheClientsError() async throws {
        let store = MemoryJobStore()
        let client = JobClient(store: store, logger: .silent)
        let stored = try await client.schedule("a")
        var clash = try #require(try await store.job(id: stored.id))
        clash.name = "b"
        let storeError = await #expect(throws: JobStoreError.self) {
            _ = try await store.insert(many: [Job(name: "c", scheduledFor: Date(), updatedAt: Date(), createdAt: Date()), clash])
        }
        #expect(storeError?.jobIndex == 1)
        let queueError = QueueError(try #require(storeError))
        #expect(queueError.code == .store && queueError.jobIndex == 1)
        #expect(queueError.message.contains("(job at index 1)"), "\(queueError.message)")
    }

    @Test func typedBatchesStoreEachPayloadAsItsDocumentAndNameAPayloadThatCannotBeEncoded() async throws {
        let store = MemoryJobStore()
        let client = JobClient(store: store, logger: .silent)
        let mails = [Mail(to: "a@example.com"), Mail(to: "b@example.com")]
        let stored = try await client.schedule(JobName<Mail>("send-mail"), many: mails)
        #expect(stored.map(\.payload) == [["to": "a@example.com"], ["to": "b@example.com"]])
        #expect(try stored.map { try $0.payload(as: Mail.self) } == mails)
        let refused = await #expect(throws: QueueError.self) {
            try await client.schedule(JobName<Refusing>("refusing"), many: [Refusing(refuse: false), Refusing(refuse: true)])
        }
        #expect(refused?.code == .invalidPayload && refused?.jobIndex == 1)
        #expect(try await store.jobs(matching: JobQuery(names: ["refusing"])).isEmpty)
    }

    @Test func anEmptyBatchMakesNoStoreCall() async throws {
        let store = FaultyStore(MemoryJobStore())
        store.down = true
        #expect(try await JobClient(store: store, logger: .silent).schedule(many: []).isEmpty)
        #expect(store.failedCalls == 0)
    }
}
