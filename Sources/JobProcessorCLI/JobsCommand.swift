import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor jobs [--status S] [--name N] [--limit N] [--json]`: the latest jobs, newest
/// first, as a table or as one Extended JSON document per line.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List jobs, newest first.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only jobs with this status (pending, running, paused, finished, errored, killed, skipped).")
    var status: String?

    @Option(help: "Only jobs with this name.")
    var name: String?

    @Option(help: "The most jobs listed: 1 to 10,000.")
    var limit: Int = 50

    /// The largest `--limit` (said in `--help` and the README): a listing is for reading, and
    /// the stores answer it in one reply.
    static let maximumLimit = 10_000

    @Flag(help: "One JSON document per line (the MongoDB schema's field names).")
    var json = false

    func run() async throws {
        try await reportingFailures {
            let statuses = try status.map { text in
                guard let status = JobStatus(rawValue: text) else {
                    throw CommandFailure("--status \(UserText.escaped(text)): expected one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return [status]
            }
            if let name { try UserText.requireNoControls(name, "--name") }
            guard (1...Self.maximumLimit).contains(limit) else {
                throw CommandFailure("--limit \(limit): expected 1 to \(Self.maximumLimit)")
            }
            let logger = try storeOptions.logger("job-processor.jobs")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let jobs = try await JobClient(store: opened.store, logger: logger).jobs(matching: JobQuery(
                names: name.map { [$0] }, statuses: statuses, types: [.simple, .cronTask], limit: limit))
            if json {
                for job in jobs { print(ExtendedJSON.format(.document(job.storedDocument))) }
            } else {
                print(Table.jobs(jobs))
            }
        }
    }
}

/// Plain-text tables for terminal output.
enum Table {
    /// Left-aligned columns separated by two spaces.
    static func render(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    /// One row per job; names and errors escaped so that each row stays one line. `ATTEMPTS`
    /// is the job's failed attempts (``Job/attempts``), with its own maximum when it has one.
    static func jobs(_ jobs: [Job]) -> String {
        render(["ID", "NAME", "STATUS", "SCHEDULED", "ATTEMPTS", "DURATION", "ERROR"], jobs.map { job in
            [
                "\(job.id)", UserText.escaped(job.name), job.status.rawValue, time(job.scheduledFor),
                job.maxAttempts.map { "\(job.attempts)/\($0)" } ?? "\(job.attempts)", job.output?.duration ?? "",
                UserText.escaped(String((job.output?.error ?? "").prefix(60)).replacingOccurrences(of: "\n", with: " ")),
            ]
        })
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
