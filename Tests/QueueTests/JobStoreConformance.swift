import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

/// The shared conformance suite of ``JobStore``: every guarantee stated in `JobStore.swift`'s
/// doc comments, checked against every store.
///
/// Each check is a swift-testing test parameterised over ``StoreKind``: it gets a fresh,
/// prepared store (a MongoDB one gets its own database) and proves one behaviour, after which it
/// is named. A new store joins the suite by adding a case here. The checks live in
/// `JobStoreConformance+*.swift`, one file per group of operations.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// ``MemoryJobStore``.
    case memory
    /// ``MongoJobStore`` with the partial unique index for exclusive names.
    case mongo
    /// ``MongoJobStore`` forced onto the fallback index on `exclusive_key`, as it runs on a
    /// server that refuses partial indexes.
    case mongoExclusiveKey
    /// ``SQLiteJobStore`` on a temporary file of its own, removed after the check.
    case sqlite

    var testDescription: String { rawValue }

    /// Runs `body` with a fresh, prepared store of this kind.
    /// - Parameter connections: for MongoDB, how many calls may run at once (I/O threads, each
    ///   with its own connection); the concurrency checks ask for several.
    func withStore(connections: Int = 2, _ body: (any JobStore) async throws -> Void) async throws {
        switch self {
        case .memory:
            let store = MemoryJobStore()
            try await store.prepare()
            try await body(store)
        case .mongo, .mongoExclusiveKey:
            let database = try TestMongo.database(ioThreads: connections)
            defer { database.close() }
            let store = MongoJobStore(
                database: database, logger: Logger.silent,
                exclusivity: self == .mongo ? .partialIndex : .exclusiveKeyField, retention: .fixtureSafe, workerExpiry: .fixtureSafe)
            try await store.prepare()
            try await body(store)
        case .sqlite:
            let file = TemporarySQLiteFile()
            defer { file.remove() }
            let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
            try await store.prepare()
            try await body(store)
        }
    }
}

/// Jobs, workers and instants for the checks. Instants are whole milliseconds, as BSON keeps
/// them, so that a stored job compares equal to the one inserted.
enum Fixture {
    /// The suite's "now".
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    /// `now` moved by `seconds`.
    static func at(_ seconds: Double) -> Date { now.addingTimeInterval(seconds) }

    /// A new pending job as the application creates it, due `due` seconds from ``now``; a
    /// `running` one is an inline run (`sync`), unless it is a cron task, which has no `sync`.
    static func job(
        _ name: String = "send-mail", due: Double = 0, status: JobStatus = .pending,
        concurrency: ConcurrencyMode = .concurrent, type: JobType = .simple, createdAt: Double = 0,
        workerId: ObjectId? = nil, payload: BSONDocument? = nil
    ) -> Job {
        Job(
            name: name, type: type, status: status, payload: payload, scheduledFor: at(due),
            startedAt: status == .running ? at(createdAt) : nil, updatedAt: at(createdAt), createdAt: at(createdAt),
            workerId: workerId, sync: status == .running && type == .simple, concurrency: concurrency)
    }

    /// A job with every field set, nested payload and output included.
    static func everyField() -> Job {
        Job(
            name: "rebuild-export", type: .simple, status: .finished,
            payload: [
                "to": "a@example.com", "tries": 3, "big": .int64(1 << 40), "ratio": 0.25, "flag": true, "nothing": nil,
                "when": .date(at(-3600)), "ref": .objectId(ObjectId()),
                "nested": ["list": [1, "two", ["three": [3.5]], nil], "empty": [:]],
            ],
            output: JobOutput(
                duration: "1m 2s", result: ["rows": 42, "files": ["a.csv", "b.csv"]], error: "warning: slow",
                skipMetadata: SkipMetadata(reason: "other", conflictingJobId: ObjectId(), skippedAt: at(-5))),
            scheduledFor: at(-120), startedAt: at(-62), endedAt: at(0), updatedAt: at(0), createdAt: at(-180),
            workerId: ObjectId(), sync: true, concurrency: .exclusive)
    }

    /// A worker seen at ``now``.
    static func worker(tags: [String]? = nil) -> WorkerRecord {
        WorkerRecord(hostname: "host-\(ObjectId())", tags: tags, lastSeen: now)
    }

    /// A scope that claims `names` for a new worker.
    static func scope(_ names: String...) -> ClaimScope { ClaimScope(workerId: ObjectId(), names: names) }

    /// One concurrent claimer per entry of `stores` (each a worker of its own), each claiming
    /// jobs of `names` due by ``now``, `batch` at a time, until none is left; every claim they
    /// made.
    static func claimAll(from stores: [any JobStore], batch: Int = 1, names: String...) async throws -> [Job] {
        try await withThrowingTaskGroup(of: [Job].self) { group in
            for store in stores {
                group.addTask {
                    let scope = ClaimScope(workerId: ObjectId(), names: names)
                    var claimed: [Job] = []
                    while true {
                        let jobs = try await store.claim(scope, now: now, limit: batch)
                        guard !jobs.isEmpty else { return claimed }
                        #expect(jobs.allSatisfy { $0.workerId == scope.workerId })
                        claimed += jobs
                    }
                }
            }
            return try await group.reduce(into: [Job]()) { $0 += $1 }
        }
    }
}

@Suite("JobStore conformance: prepare")
struct PrepareConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func prepareIsIdempotentAndKeepsStoredJobs(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            let job = try await store.insert(Fixture.job())
            try await store.prepare()
            try await store.prepare()
            #expect(try await store.job(id: job.id) == job)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anUnknownIdReadsAsNil(_ kind: StoreKind) async throws {
        try await kind.withStore { store throws in
            #expect(try await store.job(id: ObjectId()) == nil)
        }
    }
}
