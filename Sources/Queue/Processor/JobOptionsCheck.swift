/// The job options whose fields a database shared with the Node version cannot hold (its
/// `$jsonSchema` validator closes every object: SPEC §5): using one there is a configuration
/// error at start, naming the option and the reason, never a write refused later.
enum JobOptionsCheck {
    /// Why the options cannot be stored where the Node validator is installed.
    static let reason = "this database has the Node version's validator, whose job documents admit no field it does not list"

    /// The options `definitions` use that add a field to the jobs they store, as
    /// `job "name": option` descriptions; empty when none does.
    static func storedOptions(in definitions: [String: JobDefinition]) -> [String] {
        var used: [String] = []
        for (name, definition) in definitions.sorted(by: { $0.key < $1.key }) {
            if definition.priority != 0 { used.append("job \"\(name)\": priority \(definition.priority)") }
            if definition.retry.maxAttempts > 1 {
                used.append("job \"\(name)\": retry (maxAttempts \(definition.retry.maxAttempts), which stores attempts)")
            }
        }
        return used
    }

    /// Throws `invalidConfiguration` when `store` has the Node validator and `definitions` use
    /// an option it refuses. Called once the store is prepared (which tells).
    static func check(_ definitions: [String: JobDefinition], on store: any JobStore) throws(QueueError) {
        guard let shared = store as? any NodeVersionSharing, shared.nodeValidatorInstalled else { return }
        let used = storedOptions(in: definitions)
        guard !used.isEmpty else { return }
        throw QueueError(.invalidConfiguration, "\(used.joined(separator: ", ")) cannot be used: \(reason)")
    }

    /// Throws `invalidOption` when `store` has the Node validator and `job` carries a field of
    /// an option it refuses: what a client checks before it writes.
    static func check(_ job: Job, on store: any JobStore) throws(QueueError) {
        var used: [String] = []
        if job.priority != 0 { used.append("priority \(job.priority)") }
        if job.expiresAt != nil { used.append("expiresAt") }
        if job.uniqueKey != nil { used.append("uniqueKey") }
        if let maxAttempts = job.maxAttempts { used.append("maxAttempts \(maxAttempts)") }
        guard !used.isEmpty, let shared = store as? any NodeVersionSharing, shared.nodeValidatorInstalled else { return }
        throw QueueError(.invalidOption, "\"\(job.name)\": \(used.joined(separator: ", ")) cannot be stored: \(reason)")
    }
}
