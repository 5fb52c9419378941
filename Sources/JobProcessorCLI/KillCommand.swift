import ArgumentParser
import Foundation
import Queue
import QueueMongo
import QueueSQLite

/// `job-processor kill ID`: kills a job from any process (pending: killed at once; running:
/// its worker is signalled; ended: left as it is).
struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Kill a job by id.")

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "The job's id (24 hexadecimal digits).")
    var id: String

    func run() async throws {
        try await reportingFailures {
            guard let jobId = ObjectId(id) else {
                throw CommandFailure("\(UserText.quoted(id)) is not a job id (24 hexadecimal digits)")
            }
            let logger = try storeOptions.logger("job-processor.kill")
            let opened = try await storeOptions.open(logger: logger)
            defer { opened.close() }
            switch try await JobClient(store: opened.store, logger: logger).kill(jobId) {
            case .killed: print("\(jobId) killed")
            case .signalled(let worker): print("\(jobId) is running: worker \(worker) was signalled to kill it")
            case .alreadyEnded(let status): print("\(jobId) had already ended: \(status.rawValue)")
            case .notFound: throw CommandFailure("no job has the id \(jobId)")
            }
        }
    }
}
