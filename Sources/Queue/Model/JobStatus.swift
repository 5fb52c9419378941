import BSON

/// Where a job or cron task is in its life (SPEC §2).
///
/// `pending` → `running` → `finished` | `errored` | `killed`; `running` → `paused` (interrupted,
/// resumable) → `running` again when claimed; `skipped` (created while an exclusive twin was
/// active) never runs. Stored as the seed's lowercase strings.
public enum JobStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// `pending`: waiting for `scheduled_for` and a worker; `running`: claimed, `worker_id`
    /// set; `paused`: interrupted, claimable again; `finished`: the handler returned;
    /// `errored`: it threw, was interrupted or lost its worker; `killed`: killed from any
    /// process; `skipped`: created while an exclusive twin was active, never run.
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
    /// A one-off job the application scheduled (stored `"simple"`).
    case simple
    /// A cron's own document, holding its expression and next tick; never claimed (`"cron"`).
    case cron
    /// One run of a cron, created at its tick; runs like a job (`"cron_task"`).
    case cronTask = "cron_task"
}

/// Whether jobs of one name may run side by side (`concurrent`) or one at a time across the
/// whole fleet (`exclusive`, enforced by a unique index in the store).
public enum ConcurrencyMode: String, Sendable, Hashable, Codable {
    /// `concurrent`: any number at once (the default); `exclusive`: at most one `pending`,
    /// `running` or `paused` job of the name, the others stored `skipped`.
    case concurrent, exclusive
}
