import ArgumentParser

/// `job-processor cron ...`: cron expression tools. (Being written: see the cron issue.)
struct CronCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cron", abstract: "Cron expression tools.")
}
