import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor enqueue NAME [--payload JSON] [--at RFC3339] [--count N]` or
/// `job-processor enqueue --from-file jobs.jsonl`: stores demo jobs, all in one store call
/// (``JobClient/schedule(many:)``), and prints each new job's id on its own line (followed by
/// `skipped` for an exclusive job stored skipped).
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

    @Option(help: ArgumentHelp(
        "A file of jobs to store instead, `-` for standard input: JSON Lines, one job per line, e.g. {\"name\": \"demo.sleep\", \"payload\": {\"ms\": 500}, \"at\": \"2026-12-01T09:00:00Z\"} (payload and at optional), at most 100,000. A bad line stores no job of the file.",
        valueName: "file"))
    var fromFile: String?

    func validate() throws {
        if fromFile == nil, name == nil { throw ValidationError("Missing expected argument '<name>' (or --from-file)") }
        if let fromFile {
            let given = [name.map { _ in "a job name" }, payload.map { _ in "--payload" }, at.map { _ in "--at" },
                         count != 1 ? "--count" : nil].compactMap { $0 }
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
            let stored: [Job]
            do throws(QueueError) { stored = try await client.schedule(many: jobs.map(\.request)) } catch {
                throw failure(error, lines: jobs.map(\.line))
            }
            var output = ""
            for job in stored { output += job.status == .pending ? "\(job.id)\n" : "\(job.id) \(job.status.rawValue)\n" }
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
        guard let mode = DemoJobs.modes[name] else {
            throw CommandFailure("no job named \(UserText.quoted(name)) (demo jobs: \(DemoJobs.names))")
        }
        return Array(repeating: (0, JobRequest(name, payload: document, at: due, concurrency: mode)), count: count)
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
