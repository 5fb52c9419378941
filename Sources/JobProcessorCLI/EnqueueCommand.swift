import ArgumentParser
import BSON
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor enqueue NAME [--payload JSON] [--at RFC3339] [--count N] [--priority N]
/// [--expires-at RFC3339] [--unique-key K] [--max-attempts N]` or
/// `job-processor enqueue --from-file jobs.jsonl`: stores demo jobs, all in one store call
/// (``JobClient/schedule(many:)``), and prints each new job's id on its own line (followed by
/// `skipped` for an exclusive job stored skipped, or `existing` for the active job holding the
/// unique key, when nothing was stored).
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enqueue", abstract: "Store jobs; print their ids.")

    /// The most jobs one command stores (said in `--help` and the README): more is a script's
    /// or the library's work, and a typo of a few zeros must not run for hours.
    static let maximumCount = 100_000

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The job's name (one of the demo jobs: demo.echo, demo.sleep, demo.block, demo.fail, demo.cpu); omitted with --from-file.")
    var name: String?

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

    @Option(help: ArgumentHelp(
        "A file of jobs to store instead, `-` for standard input: JSON Lines, one job per line, e.g. {\"name\": \"demo.sleep\", \"payload\": {\"ms\": 500}, \"at\": \"2026-12-01T09:00:00Z\"} (payload and at optional), at most 100,000. A bad line stores no job of the file.",
        valueName: "file"))
    var fromFile: String?

    func validate() throws {
        if fromFile == nil, name == nil { throw ValidationError("Missing expected argument '<name>' (or --from-file)") }
        if let fromFile {
            let given = [name.map { _ in "a job name" }, payload.map { _ in "--payload" }, at.map { _ in "--at" },
                         count != 1 ? "--count" : nil, priority.map { _ in "--priority" },
                         expiresAt.map { _ in "--expires-at" }, uniqueKey.map { _ in "--unique-key" },
                         maxAttempts.map { _ in "--max-attempts" }].compactMap { $0 }
            if let first = given.first { throw ValidationError("--from-file \(fromFile) takes its jobs from the file, not \(first)") }
        }
    }

    func run() async throws {
        try await reportingFailures {
            // Check everything that can be checked before touching the store.
            let jobs = try fromFile.map(readFile) ?? fromOptions()
            let logger = try storeOptions.logger("job-processor.enqueue")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let client = JobClient(store: opened.store, logger: logger)
            let started = Date(millisecondsSince1970: Date().millisecondsSince1970)
            let stored: [Job]
            do throws(QueueError) { stored = try await client.schedule(many: jobs.map(\.request)) } catch {
                throw failure(error, lines: jobs.map(\.line))
            }
            var output = ""
            var printed = Set<ObjectId>()
            for job in stored {
                // The active job holding the unique key: created before this command, or earlier
                // in this batch (stored dates are whole milliseconds, hence the cut).
                if uniqueKey != nil, job.createdAt < started || !printed.insert(job.id).inserted {
                    output += "\(job.id) existing\n"
                } else {
                    output += job.status == .pending ? "\(job.id)\n" : "\(job.id) \(job.status.rawValue)\n"
                }
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        }
    }

    /// `--count` copies of the job the name and options describe (line numbers 0: none).
    private func fromOptions() throws -> [(line: Int, request: JobRequest)] {
        let name = name ?? ""
        try UserText.requireNoControls(name, "job name")
        let document = try payload.map { text in
            do { return try ExtendedJSON.parseDocument(text) } catch { throw CommandFailure("--payload: \(error)") }
        }
        let due = try at.map { text in
            do { return try RFC3339Parser.parse(text) } catch { throw CommandFailure("--at \(UserText.escaped(text)): \(error)") }
        }
        guard (1...Self.maximumCount).contains(count) else {
            throw CommandFailure("--count \(count): expected 1 to \(Self.maximumCount)")
        }
        if let uniqueKey { try UserText.requireNoControls(uniqueKey, "--unique-key") }
        let expiry = try expiresAt.map { text in
            do { return try RFC3339Parser.parse(text) } catch {
                throw CommandFailure("--expires-at \(UserText.escaped(text)): \(error)")
            }
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
        let request = JobRequest(
            name, payload: document, at: due, concurrency: mode, priority: priority, expiresAt: expiry, uniqueKey: uniqueKey,
            maxAttempts: maxAttempts)
        return Array(repeating: (0, request), count: count)
    }

    /// The jobs of the `--from-file` file.
    private func readFile(_ path: String) throws -> [(line: Int, request: JobRequest)] {
        let source = "--from-file \(UserText.escaped(path))"
        let data: Data
        do {
            data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandFailure("\(source): cannot be read (\((error as NSError).localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandFailure("\(source): not UTF-8 text") }
        let jobs = try JobLines(text, source: source, modes: DemoJobs.modes, maximum: Self.maximumCount).jobs
        guard !jobs.isEmpty else { throw CommandFailure("\(source): no job in the file") }
        return jobs
    }

    /// A refusal of the batch as the user wrote it: a job of a file by its line, not its index.
    private func failure(_ error: QueueError, lines: [Int]) -> CommandFailure {
        guard let fromFile, let index = error.jobIndex, lines.indices.contains(index) else { return CommandFailure("\(error)") }
        let prefix = "job at index \(index): "
        let message = error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
        return CommandFailure("--from-file \(UserText.escaped(fromFile)): line \(lines[index]): \(error.code): \(message)")
    }
}
