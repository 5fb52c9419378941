import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// Jobs declared with a `Codable` payload type: scheduled with a value, run with a value, stored
/// in the same `payload` document as untyped jobs.
@Suite("Typed jobs")
struct TypedJobTests {
    struct Mail: Codable, Sendable, Equatable {
        var to: String
        var attempts: Int
        var sentAt: Date?
        var tags: [String]
    }

    static let sendMail = JobName<Mail>("send-mail")

    @Test(arguments: StoreKind.processorKinds)
    func aTypedJobRunsWithTheValueItWasScheduledWithStoredAsAPlainDocument(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let received = Recorder<Mail>()
        var configuration = QueueConfiguration.testing(store: store, jobs: [:])
        configuration.jobs[Self.sendMail.name] = JobDefinition(Self.sendMail) { mail, _, _ in
            received.append(mail)
            return .string(mail.to)
        }
        let worker = try RunningProcessor(configuration)
        let mail = Mail(to: "a@example.com", attempts: 2, sentAt: Date(timeIntervalSince1970: 1_750_000_000), tags: ["x"])
        let job = try await worker.processor.schedule(Self.sendMail, mail)
        #expect(job.payload == ["to": "a@example.com", "attempts": 2, "sentAt": .date(mail.sentAt!), "tags": ["x"]])
        let fromClient = try await JobClient(store: store, logger: .silent).schedule(Self.sendMail, mail)
        for id in [job.id, fromClient.id] {
            let ended = try await store.waitFor(id, [.finished, .errored])
            #expect(ended.status == .finished && ended.output?.result == "a@example.com")
            #expect(try ended.payload(as: Mail.self) == mail)
        }
        try await worker.stop()
        #expect(received.all == [mail, mail])
    }

    @Test(arguments: StoreKind.processorKinds)
    func aPayloadThatDoesNotDecodeEndsTheJobErroredNamingTheField(_ kind: StoreKind) async throws {
        let (store, close) = try await kind.make()
        defer { close() }
        let calls = Recorder<Mail>()
        var configuration = QueueConfiguration.testing(store: store, jobs: [:])
        configuration.jobs[Self.sendMail.name] = JobDefinition(Self.sendMail) { mail, _, _ in
            calls.append(mail)
            return nil
        }
        let worker = try RunningProcessor(configuration)
        let wrongType = try await worker.processor.schedule("send-mail", payload: ["to": "a@example.com", "attempts": "two", "tags": []])
        let missing = try await worker.processor.schedule("send-mail", payload: ["attempts": 1, "tags": []])
        let badElement = try await worker.processor.schedule("send-mail", payload: ["to": "b", "attempts": 1, "tags": ["ok", 7]])
        let errors = try await [wrongType, missing, badElement].asyncMap { job in
            try await store.waitFor(job.id, [.finished, .errored]).output?.error ?? ""
        }
        try await worker.stop()
        #expect(errors[0].hasPrefix("payload.attempts:"), "\(errors[0])")
        #expect(errors[1] == "payload.to: missing")
        #expect(errors[2].hasPrefix("payload.tags[1]:"), "\(errors[2])")
        #expect(!errors.contains { $0.contains("two") }, "values never appear in messages")
        #expect(calls.count == 0, "the handler is not called")
    }

    @Test func aPayloadThatIsNotADocumentIsRefusedWhenScheduling() async throws {
        let client = JobClient(store: MemoryJobStore(), logger: .silent)
        let error = await #expect(throws: QueueError.self) { try await client.schedule(JobName<[Int]>("numbers"), [1, 2]) }
        #expect(error?.code == .invalidPayload)
    }
}
