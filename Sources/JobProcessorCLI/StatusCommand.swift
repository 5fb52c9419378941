import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor status [--json]`: workers and what each runs, the due queue, crons with
/// their next run and latest tasks, and the latest demo jobs by name.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the fleet's status.")

    @OptionGroup var storeOptions: StoreOptions

    @Flag(help: "Print one JSON document.")
    var json = false

    func run() async throws {
        try await reportingFailures {
            let logger = try storeOptions.logger("job-processor.status")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            let status = try await JobClient(store: opened.store, logger: logger).status(jobNames: Array(DemoJobs.modes.keys))
            print(json ? ExtendedJSON.format(.document(Self.document(status))) : Self.text(status, store: opened.describe))
        }
    }

    static func document(_ status: ProcessorStatus) -> BSONDocument {
        func jobs(_ list: [Job]) -> BSON { .array(list.map { .document($0.storedDocument) }) }
        return [
            "workers": .array(status.workers.map { worker in
                [
                    "_id": .objectId(worker.worker.id), "hostname": .string(worker.worker.hostname),
                    "tags": worker.worker.tags.map { .array($0.map { .string($0) }) } ?? .null,
                    "lastSeen": .date(worker.worker.lastSeen), "running": jobs(worker.running),
                ]
            }),
            "queue": jobs(status.queue),
            "crons": .array(status.crons.map { cron in
                [
                    "name": .string(cron.cron.name), "cron_string": .string(cron.cron.cronString),
                    "scheduled_for": .date(cron.cron.scheduledFor), "recent_tasks": jobs(cron.recentTasks),
                ]
            }),
            "jobs_by_name": .document(BSONDocument(status.recentJobsByName.sorted { $0.key < $1.key }.map { ($0.key, jobs($0.value)) })),
        ]
    }

    static func text(_ status: ProcessorStatus, store: String) -> String {
        var lines = ["Store: \(store)", "", "Workers (\(status.workers.count)):"]
        lines += status.workers.map { worker in
            "  \(worker.worker.id)  \(worker.worker.hostname)  tags: \(worker.worker.tags?.joined(separator: ",") ?? "any")  "
                + "last seen \(Table.time(worker.worker.lastSeen))  running: \(worker.running.map(\.name).joined(separator: ", "))"
        }
        lines += ["", "Queue (earliest \(status.queue.count)):", Table.jobs(status.queue), "", "Crons:"]
        lines += status.crons.map { cron in
            "  \(cron.cron.name)  \(cron.cron.cronString)  next \(Table.time(cron.cron.scheduledFor))  "
                + "last: \(cron.recentTasks.first.map { "\($0.status.rawValue) at \(Table.time($0.scheduledFor))" } ?? "none")"
        }
        lines += ["", "Latest jobs by name:"]
        for (name, jobs) in status.recentJobsByName.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): " + (jobs.isEmpty ? "none" : jobs.map(\.status.rawValue).joined(separator: ", ")))
        }
        return lines.joined(separator: "\n")
    }
}
