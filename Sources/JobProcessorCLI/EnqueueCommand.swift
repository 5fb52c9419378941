import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor enqueue NAME [--payload JSON] [--at RFC3339] [--count N] [--priority N] [--expires-at RFC3339] [--unique-key K] [--max-attempts N]`:
/// stores demo jobs and prints each new job's id on its own line.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enqueue", abstract: "Store a job; print its id.")

    /// The most jobs one command stores (said in `--help` and the README): more is a script's
    /// or the library's work, and a typo of a few zeros must not run for hours.
    static let maximumCount = 100_000

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The job's name (one of the demo jobs: demo.echo, demo.sleep, demo.block, demo.fail, demo.cpu).")
    var name: String

    @Option(help: "The payload: a JSON object (Extended JSON accepted).")
    var payload: String?

    @Option(help: "When the job is due: an RFC 3339 date-time, e.g. 2026-11-29T12:00:00Z or 2026-11-29T13:00:00+01:00, years 0001-9999 (default: now).")
    var at: String?

    @Option(help: "How many identical jobs to store: 1 to 100,000.")
    var count: Int = 1

    @Option(help: "The job's priority: 0 (the default, the lowest) to 1,000,000; due jobs of higher priority are claimed first.")
    var priority: Int?

    @Option(help: "When the job, if not started by then, is skipped instead of run: an RFC 3339 date-time, as --at (default: never).")
    var expiresAt: String?

    @Option(help: "A key at most one active job holds: while one does, the command prints that job's id followed by \"existing\" and stores nothing.")
    var uniqueKey: String?

    @Option(help: "The attempts the job has in all before a failure ends it errored: 1 to 1,000 (default: its definition's, 1 for the demo jobs). Retries wait 1 s, doubling.")
    var maxAttempts: Int?

    func run() async throws {
        try await reportingFailures {
            // Check everything that can be checked before touching the store.
            try UserText.requireNoControls(name, "job name")
            if let uniqueKey { try UserText.requireNoControls(uniqueKey, "--unique-key") }
            let document = try payload.map { text in
                do { return try ExtendedJSON.parseDocument(text) } catch { throw CommandFailure("--payload: \(error)") }
            }
            let due = try at.map { text in
                do { return try RFC3339Parser.parse(text) } catch { throw CommandFailure("--at \(UserText.escaped(text)): \(error)") }
            }
            let expiry = try expiresAt.map { text in
                do { return try RFC3339Parser.parse(text) } catch {
                    throw CommandFailure("--expires-at \(UserText.escaped(text)): \(error)")
                }
            }
            guard (1...Self.maximumCount).contains(count) else {
                throw CommandFailure("--count \(count): expected 1 to \(Self.maximumCount)")
            }
            if let maxAttempts, !(1...RetryPolicy.maxAttemptsLimit).contains(maxAttempts) {
                throw CommandFailure("--max-attempts \(maxAttempts): expected 1 to \(RetryPolicy.maxAttemptsLimit)")
            }
            if let priority, !Job.priorities.contains(priority) {
                throw CommandFailure("--priority \(priority): expected 0 to \(Job.priorities.upperBound)")
            }
            guard let mode = DemoJobs.modes[name] else {
                throw CommandFailure("no job named \(UserText.quoted(name)) (demo jobs: \(DemoJobs.names))")
            }
            let logger = try storeOptions.logger("job-processor.enqueue")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let client = JobClient(store: opened.store, logger: logger)
            for _ in 0..<count {
                // A job stored now is created at or after this (stored dates are whole
                // milliseconds): an earlier one is the active job holding the unique key.
                let started = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
                let job = try await client.schedule(
                    name, payload: document, at: due, concurrency: mode, priority: priority, expiresAt: expiry,
                    uniqueKey: uniqueKey, maxAttempts: maxAttempts)
                if uniqueKey != nil, job.createdAt < started {
                    print("\(job.id) existing")
                } else {
                    print(job.status == .pending ? "\(job.id)" : "\(job.id) \(job.status.rawValue)")
                }
            }
        }
    }
}
