import ArgumentParser
import Loop

/// The `job-processor` command-line tool: runs workers and the demo, and inspects and steers a
/// fleet from a shell. Each subcommand lives in its own file, named after its type.
struct JobProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job-processor",
        abstract: "A background job processor for Swift over MongoDB (or an embedded SQLite file).",
        subcommands: [
            DemoCommand.self, WorkerCommand.self, EnqueueCommand.self, KillCommand.self, StatusCommand.self,
            JobsCommand.self, CronCommand.self,
        ]
    )
}

/// The entry point: SIGTERM and SIGINT must be blocked before any thread exists for the
/// workers' event loops to receive them (see `EventLoop.runMain`), so `main` is synchronous.
@main
enum Entry {
    static func main() {
        EventLoop.runMain {
            await JobProcessorCommand.main()
            return 0
        }
    }
}
