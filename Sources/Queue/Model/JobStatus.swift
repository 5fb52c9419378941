import BSON

/// Where a job or cron task is in its life (SPEC §2).
///
/// `pending` → `running` → `finished` | `errored` | `killed`; `running` → `paused` (interrupted,
/// resumable) → `running` again when claimed; `skipped` (created while an exclusive twin was
/// active) never runs. Stored as the seed's lowercase strings.
public enum JobStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case pending, running, paused, finished, errored, killed, skipped

    /// Whether the job has ended for good: its stored state will not change again.
    public var isTerminal: Bool {
        switch self {
        case .finished, .errored, .killed, .skipped: true
        case .pending, .running, .paused: false
        }
    }

    /// The statuses during which an exclusive name admits no second job.
    public static let active: [JobStatus] = [.pending, .running, .paused]
}

/// What a stored document is: a one-off job, a cron's own document, or one run of a cron.
public enum JobType: String, Sendable, Hashable, Codable {
    case simple
    case cron
    case cronTask = "cron_task"
}

/// Whether jobs of one name may run side by side (`concurrent`) or one at a time across the
/// whole fleet (`exclusive`, enforced by a unique index in the store).
public enum ConcurrencyMode: String, Sendable, Hashable, Codable {
    case concurrent, exclusive
}
