import Foundation
import BSON

/// A running processor instance as the store keeps it (collection `job_processor.workers`).
public struct WorkerRecord: Sendable, Hashable, Identifiable {
    /// The worker's id (`_id`): the `worker_id` of the jobs it runs and of its signals.
    public var id: ObjectId
    /// The host the worker runs on (`hostname`), shown in status views.
    public var hostname: String
    /// The worker's tags (`tags`); nil when it takes every job.
    public var tags: [String]?
    /// The last heartbeat (`lastSeen`): a worker not seen for
    /// ``QueueConfiguration/deadWorkerTimeout`` is declared dead.
    public var lastSeen: Date

    /// A worker's document, under a new id unless one is given.
    public init(id: ObjectId = ObjectId(), hostname: String, tags: [String]?, lastSeen: Date) {
        self.id = id
        self.hostname = hostname
        self.tags = tags
        self.lastSeen = lastSeen
    }
}

/// A request to a worker about a job it runs (collection `job_processor.signals`).
public struct SignalRecord: Sendable, Hashable, Identifiable {
    /// What the worker is asked to do. Today only `kill`.
    public enum Kind: String, Sendable, Hashable {
        /// Kill the job: its worker fires the job's signal and records it `killed`.
        case kill
    }

    /// The signal's id (`_id`).
    public var id: ObjectId
    /// What the worker is asked to do (`type`).
    public var kind: Kind
    /// The job it is about (`job_id`).
    public var jobId: ObjectId
    /// The worker running that job (`worker_id`): the only one that acts on the signal.
    public var workerId: ObjectId
    /// When it was stored (`created_at`); retention deletes acknowledged signals by it.
    public var createdAt: Date
    /// Whether the worker has acted on it (`ack`).
    public var acknowledged: Bool

    /// A signal for `workerId` about `jobId`, under a new id unless one is given, not yet
    /// acknowledged.
    public init(id: ObjectId = ObjectId(), kind: Kind, jobId: ObjectId, workerId: ObjectId, createdAt: Date, acknowledged: Bool = false) {
        self.id = id
        self.kind = kind
        self.jobId = jobId
        self.workerId = workerId
        self.createdAt = createdAt
        self.acknowledged = acknowledged
    }
}
