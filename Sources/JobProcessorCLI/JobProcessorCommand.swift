import ArgumentParser

/// The `job-processor` command-line tool: runs workers and the demo, and inspects and steers a
/// fleet from a shell. Each subcommand lives in its own file, named after its type.
@main
struct JobProcessorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job-processor",
        abstract: "A background job processor for Swift over MongoDB.",
        subcommands: [CronCommand.self]
    )
}
