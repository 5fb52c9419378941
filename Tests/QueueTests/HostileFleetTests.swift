import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// SPEC §7 "No poison", with real worker processes: hostile documents of every kind in the
/// store while workers run, one is SIGKILLed and another takes over. Every good job is done,
/// every hostile one is dealt with, nothing is left running, and idle workers burn no CPU.
@Suite("A fleet among hostile documents")
struct HostileFleetTests {
    /// A BSON document nested `depth` levels deep (`{"a": {"a": ...}}`), built without
    /// recursion: what a damaged file or another program may hold.
    static func deeplyNested(_ depth: Int) -> [UInt8] {
        var bytes: [UInt8] = [5, 0, 0, 0, 0]
        for _ in 0..<depth {
            let length = Int32(4 + 1 + 2 + bytes.count + 1)
            bytes = withUnsafeBytes(of: length.littleEndian, Array.init) + [0x03, UInt8(ascii: "a"), 0] + bytes + [0]
        }
        return bytes
    }

    /// CPU seconds a process has used (user and system), from `/proc`.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test(arguments: [StoreKind.mongo, .sqlite])
    func goodJobsAllRunAndEveryHostileDocumentIsDealtWithWhileWorkersCrash(_ kind: StoreKind) async throws {
        let sqliteFile = TemporarySQLiteFile()
        defer { sqliteFile.remove() }
        let mongo = kind == .mongo ? try TestMongo.database(ioThreads: 2) : nil
        defer { mongo?.close() }
        let store: any JobStore = if let mongo {
            MongoJobStore(database: mongo, logger: Logger.silent)
        } else {
            try SQLiteJobStore(path: sqliteFile.path, logger: Logger.silent)
        }
        try await store.prepare()
        let raw = RawWriter(store: store, mongo: mongo)

        // Hostile documents, each with what must become of it.
        let stringPayload = ObjectId()
        try await raw.insertJob(stringPayload, name: "echo", ["payload": "not an object"])
        let unreadableDate = ObjectId()
        try await raw.insertJob(unreadableDate, name: "echo", ["created_at": "yesterday"])
        let farFuture = ObjectId()
        try await raw.insertJob(farFuture, name: "echo", ["scheduled_for": .date(Date(timeIntervalSince1970: 253_402_300_799))])
        let deep = ObjectId()
        if kind == .sqlite {
            try await raw.insertJob(deep, name: "echo", ["payload": .binary(subtype: 0, bytes: Self.deeplyNested(100_000))])
        }
        let dead = ObjectId()
        try await store.registerWorker(WorkerRecord(id: dead, hostname: "gone", tags: nil, lastSeen: Date().addingTimeInterval(-3600)))
        let orphan = ObjectId()
        try await raw.insertJob(orphan, name: "echo", [
            "status": "running", "worker_id": .objectId(dead), "payload": "not an object",
            "updated_at": .date(Date().addingTimeInterval(-3600)),
        ])
        try await raw.insertWorkerWithNumericHostname(ObjectId(), lastSeen: Date())
        try await raw.insertSignal(ObjectId(), worker: dead, type: "explode")

        // Good jobs, resumable so that the SIGKILLed worker's are run again.
        let client = try JobProcessor(QueueConfiguration(store: store, logger: Logger.silent, jobs: [
            "chaos": JobDefinition(resumable: true) { _, _ in nil }, "echo": JobDefinition { _, _ in nil },
        ]))
        var good: Set<ObjectId> = []
        for _ in 0..<150 { good.insert(try await client.schedule("chaos", payload: ["ms": 20]).id) }

        let record = RecordLines.temporary()
        defer { try? FileManager.default.removeItem(atPath: record.path) }
        let database = mongo?.name ?? ""
        let sqlite = kind == .sqlite ? sqliteFile.path : nil
        let first = try WorkerProcess(label: "w1", database: database, record: record.path, concurrency: 4, sqlite: sqlite)
        let second = try WorkerProcess(label: "w2", database: database, record: record.path, concurrency: 4, sqlite: sqlite)
        _ = try await eventually("30 runs") { record.runs.count >= 30 ? () : nil }
        first.send(SIGKILL)
        _ = try await first.waitForExit()
        let third = try WorkerProcess(label: "w3", database: database, record: record.path, concurrency: 4, sqlite: sqlite)

        _ = try await eventually("every good job to finish", timeout: .seconds(120)) { () -> Bool? in
            let done = try await store.jobs(matching: JobQuery(names: ["chaos"], statuses: [.finished], limit: 1_000))
            return done.count == good.count ? true : nil
        }
        _ = try await eventually("the dead worker's job to be recovered", timeout: .seconds(30)) {
            try await raw.status(orphan) == "errored" ? () : nil
        }
        #expect(try await raw.status(stringPayload) == "errored")
        #expect(try await raw.status(unreadableDate) == "errored")
        #expect(try await raw.status(farFuture) == "pending")
        if kind == .sqlite { #expect(try await raw.status(deep) == "errored") }

        // With the hostile documents still there, idle workers use next to no CPU: no hot loop.
        let cpuBefore = [second.pid, third.pid].compactMap(Self.cpuSeconds)
        try await Task.sleep(for: .seconds(2))  // the window CPU time is measured over
        let cpuAfter = [second.pid, third.pid].compactMap(Self.cpuSeconds)
        for (before, after) in zip(cpuBefore, cpuAfter) {
            #expect(after - before < 0.4, "an idle worker used \(after - before) s of CPU in 2 s")
        }
        #expect(cpuBefore.count == 2 && cpuAfter.count == 2)

        for worker in [second, third] { worker.send(SIGTERM) }
        for worker in [second, third] { #expect(try await worker.waitForExit() == 0, "workers lived through it") }
        let stillRunning = try await store.runningJobs(.orphaned(liveWorkers: [], updatedBefore: .distantFuture), limit: 10)
        #expect(stillRunning.isEmpty, "\(stillRunning)")
        #expect(Set(record.runs.filter { $0.name == "chaos" }.map(\.jobId)) == Set(good.map(\.description)))
    }
}
