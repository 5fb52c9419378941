import ArgumentParser

/// `job-processor cron ...`: cron expression tools.
///
/// Subcommands: `next` prints the next occurrences of an expression in a zone (see
/// `CronNextCommand`).
struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Cron expression tools.",
        subcommands: [CronNextCommand.self]
    )
}
