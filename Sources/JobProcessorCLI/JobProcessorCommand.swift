import ArgumentParser
import Loop

/// The `job-processor` command-line tool: runs workers and the demo, and inspects and steers a
/// fleet from a shell. Each subcommand lives in its own file, named after its type.
struct JobProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job-processor",
        abstract: "A background job processor for Swift over MongoDB (or an embedded SQLite file).",
        subcommands: [
            DemoCommand.self, WorkerCommand.self, EnqueueCommand.self, KillCommand.self, StatusCommand.self, DashboardCommand.self,
            JobsCommand.self, CronCommand.self,
        ]
    )

    /// Parses `arguments` and runs the command they name; returns the exit status.
    ///
    /// Like every other error, a usage mistake (an unknown option, a value that is not a
    /// number) is one line on standard error, naming the `--help` to read, with
    /// ArgumentParser's status (64); `--help` itself prints the full help on standard output.
    static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            let status = exitCode(for: error)
            guard status != .success else { exit(withError: error) }
            CommandFailure.report("\(message(for: error)) (see \(commandPath(arguments)) --help)")
            return status.rawValue
        }
    }

    /// `job-processor cron next`: the root and the subcommands `arguments` start with.
    static func commandPath(_ arguments: [String]) -> String {
        var path = [configuration.commandName ?? "job-processor"]
        var command: any ParsableCommand.Type = JobProcessorCommand.self
        for argument in arguments {
            guard let sub = command.configuration.subcommands.first(where: { $0.configuration.commandName == argument })
            else { break }
            path.append(argument)
            command = sub
        }
        return path.joined(separator: " ")
    }
}

/// The entry point: SIGTERM and SIGINT must be blocked before any thread exists for the
/// workers' event loops to receive them (see `EventLoop.runMain`), so `main` is synchronous.
@main
enum Entry {
    static func main() {
        EventLoop.runMain {
            await JobProcessorCommand.run(Array(CommandLine.arguments.dropFirst()))
        }
    }
}
