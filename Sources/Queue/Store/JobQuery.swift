import Foundation
import BSON

/// A bounded query over jobs (SPEC §7: status views never load the whole collection).
public struct JobQuery: Sendable, Hashable {
    /// A job's place in a query's order, to page through a listing by keyset: the next page
    /// holds the jobs after the last one of the previous page, so that jobs written meanwhile
    /// neither shift a page nor appear twice (unlike an offset).
    public struct Cursor: Sendable, Hashable {
        /// `created_at` for a newest-first query, `scheduled_for` otherwise.
        public var date: Date
        /// The job's id, which orders jobs of the same date.
        public var id: ObjectId

        /// The place of a job with this date and id.
        public init(date: Date, id: ObjectId) {
            self.date = date
            self.id = id
        }

        /// The place of `job` in a query's order (`newestFirst` or not).
        public init(after job: Job, newestFirst: Bool) {
            self.init(date: newestFirst ? job.createdAt : job.scheduledFor, id: job.id)
        }
    }

    /// Jobs with one of these names (`name`); nil: any name, empty: none.
    public var names: [String]?
    /// Jobs in one of these statuses (`status`); nil: any status, empty: none.
    public var statuses: [JobStatus]?
    /// Jobs of one of these types (`type`); nil: any type, empty: none.
    public var types: [JobType]?
    /// Jobs this worker runs (`worker_id`); nil: whatever their worker, or none.
    public var workerId: ObjectId?
    /// Only jobs created at or after this instant.
    public var createdSince: Date?
    /// Only jobs created before this instant.
    public var createdBefore: Date?
    /// Only jobs after this place in the query's order: (`created_at`, id) below it when newest
    /// first, (`scheduled_for`, id) above it otherwise.
    public var after: Cursor?
    /// The most jobs returned.
    public var limit: Int
    /// Newest first (by `created_at`, then id) when true; otherwise earliest `scheduled_for`
    /// (then id) first.
    public var newestFirst: Bool

    /// A query whose filters all hold at once; by default the 100 newest jobs.
    public init(
        names: [String]? = nil, statuses: [JobStatus]? = nil, types: [JobType]? = nil, workerId: ObjectId? = nil,
        createdSince: Date? = nil, createdBefore: Date? = nil, after: Cursor? = nil, limit: Int = 100,
        newestFirst: Bool = true
    ) {
        self.names = names
        self.statuses = statuses
        self.types = types
        self.workerId = workerId
        self.createdSince = createdSince
        self.createdBefore = createdBefore
        self.after = after
        self.limit = limit
        self.newestFirst = newestFirst
    }

    /// Whether `job` passes the query's filters and cursor (its order and limit aside): the
    /// rule every store applies, written once for the stores that filter in memory.
    public func admits(_ job: Job) -> Bool {
        if let names, !names.contains(job.name) { return false }
        if let statuses, !statuses.contains(job.status) { return false }
        if let types, !types.contains(job.type) { return false }
        if let workerId, job.workerId != workerId { return false }
        if let createdSince, job.createdAt < createdSince { return false }
        if let createdBefore, job.createdAt >= createdBefore { return false }
        if let after {
            let key = newestFirst ? job.createdAt : job.scheduledFor
            return newestFirst ? (key, job.id) < (after.date, after.id) : (key, job.id) > (after.date, after.id)
        }
        return true
    }
}
