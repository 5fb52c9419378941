import Foundation
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite
import QueueTestSupport

/// Issue #17: our processor on a database the Node version laid out (`shared/node-compat/`):
/// it takes it over without touching the Node version's validator or indexes, every write it
/// makes passes that validator, and the Node version's documents are read, run and resumed.
///
/// On the MongoDB test server, the Node version's layout lacks `cron_task_exclusive_unique` and
/// `type_1_name_1`: the server keeps one index per key pattern and all three are on
/// `{type, name}` (it keeps `simple_exclusive_unique`). The tests check that those are the only
/// refusals, and `exclusive_active_name` enforces exclusivity for cron tasks there.
@Suite("Node version's database")
struct NodeCompatibilityTests {
    /// Indexes the test server refuses of the Node version's set; none on MongoDB.
    static let refusedByTheTestServer: Set<String> = [
        "job_processor.jobs.cron_task_exclusive_unique", "job_processor.jobs.type_1_name_1",
    ]

    /// A fresh database on the test server, laid out by the Node version.
    private func nodeDatabase(withDocs: Bool) async throws -> (MongoDatabase, NodeLayout.Built) {
        let database = try TestMongo.database(ioThreads: 4)
        let built = try await NodeLayout.build(in: database.name, withDocs: withDocs)
        #expect(Set(built.refused).isSubset(of: Self.refusedByTheTestServer), "\(built.output)")
        return (database, built)
    }

    /// The indexes of the three collections, and the jobs collection's validator.
    private func layout(_ database: MongoDatabase) async throws -> (indexes: [String: BSONDocument], validator: BSON?) {
        var all: [String: BSONDocument] = [:]
        for collection in [MongoJobStore.jobsCollection, MongoJobStore.workersCollection, MongoJobStore.signalsCollection] {
            for (name, specification) in try await indexes(collection, database) { all["\(collection).\(name)"] = specification }
        }
        let name = database.name
        let reply = try await database.run("listCollections") { client throws(MongoError) in
            try client.runCommand(["listCollections": 1, "filter": ["name": .string(MongoJobStore.jobsCollection)]], in: name)
        }
        return (all, reply[path: "cursor.firstBatch"]?.arrayValue?.first?.documentValue?[path: "options.validator"])
    }

    /// A processor on `database` with Node defaults, logging into `logs`.
    private func configuration(
        _ store: MongoJobStore, logs: RecordingLogHandler.Records, jobs: [String: JobDefinition],
        crons: [String: CronDefinition] = [:]
    ) -> QueueConfiguration {
        var configuration = QueueConfiguration.testing(store: store, jobs: jobs, crons: crons)
        configuration.logger = Logger(label: "test.node") { _ in RecordingLogHandler(records: logs) }
        configuration.useNodeVersionDefaults()
        configuration.heartbeatInterval = .milliseconds(200)
        return configuration
    }

    private func store(_ database: MongoDatabase, logs: RecordingLogHandler.Records) -> MongoJobStore {
        MongoJobStore(database: database, logger: Logger(label: "test.node") { _ in RecordingLogHandler(records: logs) })
    }

    /// Log lines that would show a write the validator refused, or any other failure.
    private func failures(_ logs: RecordingLogHandler.Records) -> [String] {
        logs.all.filter { $0.level >= .error || $0.message.contains("validation") }.map(\.message)
    }

    @Test func aProcessorTakesOverTheLayoutChangingNeitherItsIndexesNorItsValidator() async throws {
        let (database, _) = try await nodeDatabase(withDocs: false)
        defer { database.close() }
        let before = try await layout(database)
        #expect(before.validator != nil)
        let logs = RecordingLogHandler.Records()
        let store = store(database, logs: logs)
        let worker = try RunningProcessor(configuration(store, logs: logs, jobs: ["work": JobDefinition { _, _ in "done" }]))
        let job = try await worker.processor.schedule("work")
        #expect(try await store.waitFor(job.id, [.finished, .errored]).status == .finished)
        try await worker.stop()
        #expect(store.nodeValidatorInstalled)

        let after = try await layout(database)
        #expect(after.validator == before.validator, "the validator is the Node version's still")
        for (name, specification) in before.indexes {
            #expect(after.indexes[name] == specification, "\(name) is as the Node version made it")
        }
        let added = Set(after.indexes.keys).subtracting(before.indexes.keys)
        #expect(!added.contains { $0.hasPrefix(MongoJobStore.workersCollection) || $0.hasSuffix("lastSeen_1") },
                "the Node version's lastSeen_1 (TTL 300 s) is adopted, not doubled")
        #expect(!added.contains("\(MongoJobStore.jobsCollection).ended_at_1"))
        #expect(failures(logs).isEmpty, "\(failures(logs))")
        let check = try await NodeLayout.check(database.name)
        #expect(check.passed, "\(check.output)")
    }

    @Test func anOptionTheNodeValidatorRefusesIsAConfigurationErrorAtStartNamingIt() async throws {
        let (database, _) = try await nodeDatabase(withDocs: false)
        defer { database.close() }
        let logs = RecordingLogHandler.Records()
        let store = store(database, logs: logs)
        let processor = try JobProcessor(configuration(store, logs: logs, jobs: [
            "urgent": JobDefinition(priority: 5) { _, _ in nil },
        ]))
        let error = await #expect(throws: QueueError.self) { try await processor.run() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("job \"urgent\": priority 5") == true, "\(String(describing: error))")
        #expect(error?.message.contains("validator") == true)
        #expect(try await store.workers().isEmpty, "no worker started")
        let client = JobClient(store: store, logger: Logger(label: "test.node"))
        let refused = await #expect(throws: QueueError.self) { try await client.schedule("urgent", priority: 5) }
        #expect(refused?.code == .invalidOption)
        let expiring = await #expect(throws: QueueError.self) {
            try await client.schedule("urgent", expiresAt: Date().addingTimeInterval(60))
        }
        #expect(expiring?.code == .invalidOption && expiring?.message.contains("expiresAt") == true)
        #expect(try await store.jobs(matching: JobQuery()).isEmpty, "nothing written")
    }

    @Test func everyStepOfAJobsLifeWeWritePassesTheNodeValidator() async throws {
        let (database, _) = try await nodeDatabase(withDocs: false)
        defer { database.close() }
        let logs = RecordingLogHandler.Records()
        let store = store(database, logs: logs)
        struct Failed: Error {}
        let holding: JobDefinition.Handler = { _, signal in throw JobSignal.Cancelled(reason: await signal.cancelled()) }
        let ticks = Recorder<ObjectId>()
        let worker = try RunningProcessor(configuration(store, logs: logs, jobs: [
            "finish": JobDefinition { _, _ in ["rows": 3] },
            "nothing": JobDefinition { _, _ in nil },
            "fail": JobDefinition { _, _ in throw Failed() },
            "hold": JobDefinition(handler: holding),
            "resume": JobDefinition(resumable: true, handler: holding),
            "exclusive": JobDefinition(concurrency: .exclusive, handler: holding),
        ], crons: [
            "every-second": CronDefinition("* * * * * *") { _, task in
                ticks.append(task.id)
                return nil
            },
        ]))
        // A worker that died with a job running (crash recovery writes its ending).
        let dead = ObjectId()
        try await store.registerWorker(WorkerRecord(id: dead, hostname: "gone", tags: nil, lastSeen: Date().addingTimeInterval(-3600)))
        let hourAgo = Date().addingTimeInterval(-3600)
        var orphan = Job(name: "hold", status: .running, scheduledFor: hourAgo, startedAt: hourAgo, updatedAt: hourAgo,
                         createdAt: hourAgo, workerId: dead)
        orphan = try await store.insert(orphan)

        let finished = try await worker.processor.schedule("finish", payload: ["n": 1])
        let nothing = try await worker.processor.schedule("nothing")
        let failed = try await worker.processor.schedule("fail")
        let killedRunning = try await worker.processor.schedule("hold")
        let killedPending = try await worker.processor.schedule("finish", at: Date().addingTimeInterval(3600))
        let resumable = try await worker.processor.schedule("resume")
        let exclusive = try await worker.processor.schedule("exclusive")
        let skipped = try await worker.processor.schedule("exclusive")
        #expect(skipped.status == .skipped && skipped.endedAt != nil)

        #expect(try await store.waitFor(finished.id, [.finished, .errored]).output?.result == ["rows": 3])
        #expect(try await store.waitFor(nothing.id, [.finished, .errored]).status == .finished)
        #expect(try await store.waitFor(failed.id, [.finished, .errored]).status == .errored)
        _ = try await store.waitFor(killedRunning.id, [.running])
        try await worker.processor.kill(killedRunning.id)
        #expect(try await store.waitFor(killedRunning.id, [.killed]).status == .killed)
        try await worker.processor.kill(killedPending.id)
        #expect(try await store.job(id: killedPending.id)?.status == .killed)
        #expect(try await store.waitFor(orphan.id, [.errored], timeout: .seconds(20)).output?.error == "Worker crashed unexpectedly")
        _ = try await eventually("a cron tick to run") { ticks.count >= 1 ? () : nil }
        _ = try await store.waitFor(resumable.id, [.running])
        _ = try await store.waitFor(exclusive.id, [.running])
        try await worker.stop()
        #expect(try await store.job(id: resumable.id)?.status == .paused)
        #expect(try await store.job(id: exclusive.id)?.status == .errored, "interrupted at shutdown")
        #expect(try await store.deleteEnded(before: Date().addingTimeInterval(60)) >= 6, "retention")

        #expect(failures(logs).isEmpty, "\(failures(logs))")
        let check = try await NodeLayout.check(database.name)
        #expect(check.passed, "\(check.output)")
    }

    @Test func theNodeVersionsJobsAreReadRunAndResumedAsItWould() async throws {
        let (database, built) = try await nodeDatabase(withDocs: true)
        defer { database.close() }
        let logs = RecordingLogHandler.Records()
        let store = store(database, logs: logs)
        try await store.prepare()
        for (label, id) in built.ids where !label.hasPrefix("worker") && label != "dead_worker" && label != "signal_kill" {
            #expect(try await store.job(id: id) != nil, "\(label) reads")
        }
        #expect(try await store.jobs(matching: JobQuery(limit: 100)).count == 14)
        let workers = try await store.workers()
        #expect(Set(workers.map(\.id)) == [try built.id("worker_1"), try built.id("worker_2")])

        let paused = try #require(try await store.job(id: try built.id("simple_paused")))
        let runs = Recorder<String>()
        let handler: (String) -> JobDefinition.Handler = { name in { _, _ in runs.append(name); return nil } }
        let worker = try RunningProcessor(configuration(store, logs: logs, jobs: [
            "send_report": JobDefinition(handler: handler("send_report")),
            "import_data": JobDefinition(handler: handler("import_data")),
            "reindex": JobDefinition(resumable: true, handler: handler("reindex")),
            "nightly_export": JobDefinition(concurrency: .exclusive, handler: handler("nightly_export")),
            "cleanup": JobDefinition(handler: handler("cleanup")),
            "long_import": JobDefinition(handler: handler("long_import")),
        ], crons: [
            "refresh_cache": CronDefinition("0 * * * *") { _, _ in nil },
        ]))
        let resumed = try await store.waitFor(paused.id, [.finished, .errored])
        #expect(resumed.status == .finished && resumed.startedAt == paused.startedAt, "resumed, keeping its first start")
        let exclusive = try await store.waitFor(try built.id("simple_exclusive_active"), [.finished, .errored])
        #expect(exclusive.status == .finished)
        try await worker.stop()

        #expect(try await store.job(id: try built.id("simple_pending"))?.status == .pending, "due in an hour")
        // The Node version's tick is due at the next full hour after the samples were built; a
        // run that crosses that hour may run it, so it must stay pending only when it is ahead.
        let tick = try #require(try await store.job(id: try built.id("cron_task_pending")))
        if Date() < tick.scheduledFor {
            #expect(tick.status == .pending, "its tick is ahead")
        } else {
            #expect([.pending, .finished].contains(tick.status), "its tick came due during the run: \(tick.status)")
        }
        let running = try await store.job(id: try built.id("simple_running"))
        #expect(running?.status == .running, "a live Node worker's job is left to it")
        #expect(try await store.pendingSignals(for: try built.id("worker_2")).count == 1, "its signal, unread by us")
        #expect(try await store.crons().map(\.cronString) == ["0 * * * *"], "the shared cron kept, once")
        #expect(Set(runs.all) == ["reindex", "nightly_export"])

        // The command line reads the Node version's history too.
        let tool = CommandLineTool.executable
        let options = ["--store", try TestMongo.uri().raw, "--database", database.name]
        let (listed, list) = try await NodeLayout.run(["jobs", "--limit", "100"] + options, executable: tool)
        #expect(listed == 0, "\(list)")
        for name in ["send_report", "import_data", "nightly_export", "cleanup", "long_import"] {
            #expect(list.contains(name), "\(name) in:\n\(list)")
        }
        let (statusCode, status) = try await NodeLayout.run(["status"] + options, executable: tool)
        #expect(statusCode == 0 && status.contains("refresh_cache"), "\(status)")
        #expect(failures(logs).isEmpty, "\(failures(logs))")
        let check = try await NodeLayout.check(database.name)
        #expect(check.passed, "\(check.output)")
    }
}
