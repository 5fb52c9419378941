import Foundation
import BSON

/// A running processor instance as the store keeps it (collection `job_processor.workers`).
public struct WorkerRecord: Sendable, Hashable, Identifiable {
    public var id: ObjectId
    public var hostname: String
    /// The worker's tags; nil when it takes every job.
    public var tags: [String]?
    /// The last heartbeat.
    public var lastSeen: Date

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
        case kill
    }

    public var id: ObjectId
    public var kind: Kind
    public var jobId: ObjectId
    public var workerId: ObjectId
    public var createdAt: Date
    /// Whether the worker has acted on it.
    public var acknowledged: Bool

    public init(id: ObjectId = ObjectId(), kind: Kind, jobId: ObjectId, workerId: ObjectId, createdAt: Date, acknowledged: Bool = false) {
        self.id = id
        self.kind = kind
        self.jobId = jobId
        self.workerId = workerId
        self.createdAt = createdAt
        self.acknowledged = acknowledged
    }
}
