import Foundation
import GRDB
import Logging
import Testing
@testable import BSON
@testable import Queue
@testable import QueueSQLite
import QueueTestSupport

/// What the shared conformance suite cannot check: the file itself (WAL mode, several
/// connections as several processes would open, a path that cannot be opened) and rows that
/// this version cannot read.
@Suite("SQLiteJobStore")
struct SQLiteJobStoreTests {
    @Test func theFileIsInWALMode() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try await store.prepare()
        let mode = try await store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func twoStoresOnOneFileClaimEachOfTwoHundredJobsExactlyOnce() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        // Two stores are two connections with their own locks, as two processes would have.
        let stores = [
            try SQLiteJobStore(path: file.path, logger: Logger.silent),
            try SQLiteJobStore(path: file.path, logger: Logger.silent),
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.prepare() } }
            try await group.waitForAll()
        }
        var inserted: Set<ObjectId> = []
        for index in 0..<200 {
            let store = stores[index % 2]
            inserted.insert(try await store.insert(Fixture.job(index.isMultiple(of: 3) ? "a" : "b", due: Double(-index))).id)
        }
        let claims = try await Fixture.claimAll(from: (0..<8).map { stores[$0 % 2] }, names: "a", "b")
        #expect(claims.count == 200)
        #expect(Set(claims.map(\.id)) == inserted)
        let running = try await stores[1].jobs(matching: JobQuery(statuses: [.running], limit: 1000))
        #expect(running.count == 200)
    }

    @Test func aPathThatCannotBeOpenedGivesAnErrorNamingIt() throws {
        let path = "/nonexistent-\(ObjectId())/jobs.sqlite"
        let error = #expect(throws: JobStoreError.self) { try SQLiteJobStore(path: path, logger: Logger.silent) }
        #expect(error?.code == .unavailable)
        #expect(error?.description.contains(path) == true)
        #expect(error?.reason.contains("unable to open") == true, "\(String(describing: error))")
    }

    @Test func aFileThatIsNotADatabaseGivesAnErrorNamingIt() throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: file.path))
        let error = #expect(throws: JobStoreError.self) { try SQLiteJobStore(path: file.path, logger: Logger.silent) }
        #expect(error?.description.contains(file.path) == true)
        #expect(error?.reason.contains("not a database") == true, "\(String(describing: error))")
    }

    @Test func aCorruptedRowIsAnInvalidDocumentNamingItsIdAndColumnNeverACrash() async throws {
        try await StoreKind.sqlite.withStore { store in
            let store = try #require(store as? SQLiteJobStore)
            // Rows as another program might write them: a payload that is not BSON, a status
            // this version does not know (beside a payload that must not leak), an id that is
            // not an ObjectId.
            let garbled = ObjectId()
            let unknownStatus = ObjectId()
            let secret = SQLiteValues.blob(["to": "secret@example.com"])
            try await store.pool.write { db in
                let insert = """
                    INSERT INTO jobs (id, name, type, status, payload, scheduled_for, updated_at, created_at)
                    VALUES (?, 'mail', 'simple', ?, ?, 0, 0, 0)
                    """
                try db.execute(sql: insert, arguments: [garbled.description, "pending", Data([0xDE, 0xAD, 0xBE, 0xEF])])
                try db.execute(sql: insert, arguments: [unknownStatus.description, "exploded", secret])
            }

            let payloadError = await #expect(throws: JobStoreError.self) { try await store.job(id: garbled) }
            #expect(payloadError?.code == .invalidDocument)
            #expect(payloadError?.reason.contains("job \(garbled)") == true, "\(String(describing: payloadError))")
            #expect(payloadError?.reason.contains("\"payload\"") == true, "\(String(describing: payloadError))")

            let statusError = await #expect(throws: JobStoreError.self) { try await store.job(id: unknownStatus) }
            #expect(statusError?.code == .invalidDocument)
            #expect(statusError?.reason.contains("job \(unknownStatus)") == true)
            #expect(statusError?.reason.contains("status") == true)
            #expect(statusError?.description.contains("secret") == false, "no payload in messages")

            await #expect(throws: JobStoreError.self) { try await store.jobs(matching: JobQuery(names: ["mail"])) }

            try await store.pool.write { db in
                try db.execute(sql: """
                    INSERT INTO jobs (id, name, type, status, scheduled_for, updated_at, created_at)
                    VALUES ('not-an-id', 'other', 'simple', 'pending', 0, 0, 0)
                    """)
            }
            let idError = await #expect(throws: JobStoreError.self) { try await store.jobs(matching: JobQuery(names: ["other"])) }
            #expect(idError?.code == .invalidDocument)
            #expect(idError?.reason.contains("job \"not-an-id\"") == true, "\(String(describing: idError))")
        }
    }

    @Test func aClaimedRowThatCannotBeReadIsRecordedErroredAndTheNextClaimMovesOn() async throws {
        try await StoreKind.sqlite.withStore { store in
            let store = try #require(store as? SQLiteJobStore)
            let garbled = ObjectId()
            try await store.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO jobs (id, name, type, status, payload, scheduled_for, updated_at, created_at)
                        VALUES (?, 'mail', 'simple', 'pending', X'00', 0, 0, 0)
                        """,
                    arguments: [garbled.description])
            }
            let next = try await store.insert(Fixture.job("mail"))
            let scope = Fixture.scope("mail")
            let error = await #expect(throws: JobStoreError.self) { try await store.claim(scope, now: Fixture.now) }
            #expect(error?.code == .invalidDocument)
            #expect(error?.reason.contains(garbled.description) == true)
            #expect(try await store.claim(scope, now: Fixture.now)?.id == next.id)
            let recorded = try await store.pool.read { db in
                try Row.fetchOne(db, sql: "SELECT status, worker_id, ended_at FROM jobs WHERE id = ?", arguments: [garbled.description])
                    .map { row in (status: row["status"] as String?, workerId: row["worker_id"] as String?, endedAt: row["ended_at"] as Int64?) }
            }
            #expect(recorded?.status == "errored")
            #expect(recorded?.workerId == nil)
            #expect(recorded?.endedAt == SQLiteValues.milliseconds(Fixture.now))
        }
    }

    @Test func aVersion4FileGetsPrioritiesAndKeepsItsJobsAtTheDefault() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try SQLiteSchema.migrator.migrate(store.pool, upTo: "v4: no worker index")
        let old = Fixture.job("mail", due: -10)
        try await Self.insertOlderRow(old, into: store)
        try await store.prepare()
        try await store.prepare()  // idempotent: the column is added once
        #expect(try await store.job(id: old.id)?.priority == 0)
        let urgent = try await store.insert(Fixture.job("mail", priority: 2))
        let scope = Fixture.scope("mail")
        #expect(try await store.claim(scope, now: Fixture.now)?.id == urgent.id)
        #expect(try await store.claim(scope, now: Fixture.now)?.id == old.id)
    }

    @Test func aVersion1FileGetsTheCronIndexAndTheRunnableClaimIndex() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try SQLiteSchema.migrator.migrate(store.pool, upTo: "v1: jobs, workers, signals")
        let job = Fixture.job("mail")
        try await Self.insertOlderRow(job, into: store)
        try await store.prepare()
        let indexes = try await store.pool.read { db in
            try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'")
        }
        #expect(indexes.contains("jobs_runnable") && indexes.contains("jobs_cron_name"))
        #expect(!indexes.contains("jobs_claimable"))
        #expect(try await store.claim(Fixture.scope("mail"), now: Fixture.now)?.id == job.id)
    }

    @Test func aVersion3FileLosesTheWorkerIndexAndFindsAWorkersRunningJobsByStatus() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try SQLiteSchema.migrator.migrate(store.pool, upTo: "v3: running jobs by worker")
        let claimed = Fixture.job("mail", status: .running, workerId: ObjectId())
        try await Self.insertOlderRow(claimed, into: store)
        try await store.prepare()
        let (indexes, plan) = try await store.pool.read { db in
            (try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'"),
             try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE worker_id IN (?) AND status IN ('running')",
                              arguments: ["w"]).map { $0["detail"] as String? ?? "" })
        }
        #expect(!indexes.contains("jobs_worker_running") && !indexes.contains("jobs_worker_id"))
        #expect(plan.contains { $0.contains("jobs_status_created_at (status=?)") }, "\(plan)")
        let running = try await store.jobs(matching: JobQuery(statuses: [.running], workerId: claimed.workerId))
        #expect(running.map(\.id) == [claimed.id])
    }

    @Test func aVersion4FileGetsTheTraceContextColumnAndTheEndingsIndex() async throws {
        let file = TemporarySQLiteFile()
        defer { file.remove() }
        let store = try SQLiteJobStore(path: file.path, logger: Logger.silent)
        try SQLiteSchema.migrator.migrate(store.pool, upTo: "v4: no worker index")
        let old = Fixture.job("mail")
        try await Self.insertOlderRow(old, into: store)
        try await store.prepare()
        try await store.prepare()
        #expect(try await store.job(id: old.id)?.traceContext == nil)
        var traced = Fixture.job("mail")
        traced.traceContext = ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]
        _ = try await store.insert(traced)
        #expect(try await store.job(id: traced.id)?.traceContext == traced.traceContext)
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT ended_at / 60000 AS minute, status, COUNT(*) FROM (
                SELECT ended_at, status FROM jobs WHERE ended_at >= ? ORDER BY ended_at DESC LIMIT ?) GROUP BY minute, status
                """, arguments: [0, 10]).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("COVERING INDEX jobs_ended_at") }, "\(plan)")
    }

    /// Inserts `job` with the columns every version of the table has, as an older version of
    /// the store wrote it (the current insert writes columns a file not yet migrated lacks).
    static func insertOlderRow(_ job: Job, into store: SQLiteJobStore) async throws {
        try await store.pool.write { db in
            try db.execute(sql: """
                INSERT INTO jobs (id, name, type, status, scheduled_for, started_at, updated_at, created_at, worker_id, sync)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    job.id.description, job.name, job.type.rawValue, job.status.rawValue,
                    SQLiteValues.milliseconds(job.scheduledFor), job.startedAt.map(SQLiteValues.milliseconds),
                    SQLiteValues.milliseconds(job.updatedAt), SQLiteValues.milliseconds(job.createdAt),
                    job.workerId?.description, job.sync,
                ])
        }
    }

    @Test func batchClaimsOverManyNamesTakeTheEarliestAcrossAllOfThem() async throws {
        try await StoreKind.sqlite.withStore { store in
            // More names than one query covers (200): the earliest jobs are spread over
            // names at both ends of the scope, with ties on scheduled_for broken by id.
            let names = (0..<250).map { "job-\($0)" }
            var due: [Job] = []
            for (index, name) in ["job-249", "job-0", "job-230", "job-17", "job-249", "job-199", "job-0"].enumerated() {
                due.append(try await store.insert(Fixture.job(name, due: Double(-(index / 2)))))
            }
            _ = try await store.insert(Fixture.job("job-3", due: 60))
            let scope = ClaimScope(workerId: ObjectId(), names: names)
            #expect(try await store.nextDue(scope) == Fixture.at(-3))
            var claimed: [Job] = []
            while case let batch = try await store.claim(scope, now: Fixture.now, limit: 3), !batch.isEmpty { claimed += batch }
            let expected = due.sorted { ($0.scheduledFor, $0.id.description) < ($1.scheduledFor, $1.id.description) }
            #expect(claimed.map(\.id) == expected.map(\.id), "earliest scheduled_for first, then lowest id, each once")
            #expect(try await store.nextDue(scope) == Fixture.at(60))
        }
    }

    @Test func theClaimQueryReadsOneRangeOfTheRunnableIndexPerName() async throws {
        try await StoreKind.sqlite.withStore { store in
            let store = try #require(store as? SQLiteJobStore)
            let plan = try await store.pool.read { db in
                try Row.fetchAll(
                    db, sql: "EXPLAIN QUERY PLAN " + SQLiteSchema.earliestClaimable(names: 2, due: true),
                    arguments: ["a", 0, 16, "b", 0, 16, 16]
                ).map { $0["detail"] as String? ?? "" }
            }
            let searches = plan.filter { $0.contains("USING INDEX jobs_runnable (name=? AND scheduled_for<?)") }
            #expect(searches.count == 2, "\(plan)")
        }
    }

    @Test func aSecondCronRowForOneNameIsRefused() async throws {
        try await StoreKind.sqlite.withStore { store in
            let store = try #require(store as? SQLiteJobStore)
            _ = try await store.syncCrons([CronRecord(name: "nightly", cronString: "0 0 * * *", scheduledFor: Fixture.now)], at: Fixture.now)
            let twin = Job(name: "nightly", type: .cron, scheduledFor: Fixture.now, updatedAt: Fixture.now, createdAt: Fixture.now,
                           cronString: "0 0 * * *")
            await #expect(throws: DatabaseError.self) {
                try await store.pool.write { db in try db.execute(sql: JobRow.insertSQL, arguments: JobRow.arguments(twin)) }
            }
        }
    }

    @Test func insertingAnIdThatIsAlreadyStoredIsAnInvalidJob() async throws {
        try await StoreKind.sqlite.withStore { store in
            let job = try await store.insert(Fixture.job())
            let error = await #expect(throws: JobStoreError.self) { try await store.insert(job) }
            #expect(error?.code == .invalidJob)
        }
    }
}
