import BSON
import Foundation

/// Batch scheduling: many jobs in one store call.
extension JobClient {
    /// Stores several jobs to run on some worker, each as
    /// ``schedule(_:payload:at:concurrency:priority:expiresAt:uniqueKey:maxAttempts:)`` stores
    /// one, in one store call
    /// (``JobStore/insert(many:)``: one SQLite transaction, one MongoDB `insert` command), so that
    /// scheduling n jobs costs little more than the store's own writes of them, not n round
    /// trips and n commits.
    ///
    /// Every job is checked before anything is stored, and a refused job refuses the batch:
    /// either all the jobs are stored or none is. An exclusive job whose name has an active job
    /// (stored, or earlier in the batch) is stored `skipped`, the others all the same; a job
    /// whose unique key an active job holds (stored, or earlier in the batch) is not stored,
    /// that job coming back in its place.
    /// - Returns: the stored jobs, in the order of `requests`: `pending`, or `skipped`; or, for
    ///   a job with a unique key held, the active job holding it.
    /// - Throws: ``QueueError`` with ``QueueError/jobIndex`` set to the position of the job at
    ///   fault and the message naming it (`job at index 3: ...`), for what one `schedule` would
    ///   throw for that job; `store` when the store fails (see ``JobStore/insert(many:)`` for
    ///   what a failed MongoDB command may have stored).
    @discardableResult
    public func schedule(many requests: [JobRequest]) async throws(QueueError) -> [Job] {
        guard !requests.isEmpty else { return [] }
        let now = Date()
        var jobs: [Job] = []
        jobs.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            do {
                jobs.append(try newJob(
                    request.name, payload: request.payload, at: request.date, concurrency: request.concurrency,
                    priority: request.priority, expiresAt: request.expiresAt, uniqueKey: request.uniqueKey,
                    maxAttempts: request.maxAttempts, now: now))
            } catch {
                throw QueueError(error.code, "job at index \(index): \(error.message)", jobIndex: index)
            }
        }
        let stored: [Job]
        do { stored = try await store.insert(many: jobs) } catch { throw QueueError(error) }
        if let onScheduled, let earliest = stored.lazy.filter({ $0.status == .pending }).map(\.scheduledFor).min() {
            onScheduled(earliest)
        }
        return stored
    }

    /// Stores a job of `name` for each of `payloads`, encoded by ``BSONEncoder``, all due at
    /// `date`, in one store call (``schedule(many:)``).
    /// - Throws: ``QueueError`` `invalidPayload` naming the index of a payload that cannot be
    ///   encoded, and what ``schedule(many:)`` throws; nothing is stored then.
    @discardableResult
    public func schedule<Payload>(
        _ name: JobName<Payload>, many payloads: [Payload], at date: Date? = nil, concurrency: ConcurrencyMode = .concurrent
    ) async throws(QueueError) -> [Job] {
        try await schedule(many: try Self.requests(name, payloads, at: date, concurrency: concurrency))
    }

    /// One request per payload, each encoded; an encoding failure names its index.
    static func requests<Payload>(
        _ name: JobName<Payload>, _ payloads: [Payload], at date: Date?, concurrency: ConcurrencyMode
    ) throws(QueueError) -> [JobRequest] {
        var requests: [JobRequest] = []
        requests.reserveCapacity(payloads.count)
        for (index, payload) in payloads.enumerated() {
            do {
                requests.append(JobRequest(name.name, payload: try encode(payload, of: name), at: date, concurrency: concurrency))
            } catch {
                throw QueueError(error.code, "job at index \(index): \(error.message)", jobIndex: index)
            }
        }
        return requests
    }
}

extension JobProcessor {
    /// Stores several jobs in one store call, each with its definition's concurrency
    /// (``JobClient/schedule(many:)``). A worker in this process wakes once, for the earliest.
    /// - Throws: ``QueueError`` `unknownJob` naming the index of a name with no definition
    ///   here, and what the client throws; nothing is stored then.
    @discardableResult
    public func schedule(many requests: [JobRequest]) async throws(QueueError) -> [Job] {
        try await client.schedule(many: requests)
    }

    /// Stores a job of `name` for each of `payloads`, encoded by ``BSONEncoder``, with its
    /// definition's concurrency, in one store call (``JobClient/schedule(_:many:at:concurrency:)``).
    @discardableResult
    public func schedule<Payload>(_ name: JobName<Payload>, many payloads: [Payload], at date: Date? = nil) async throws(QueueError) -> [Job] {
        try await client.schedule(many: try JobClient.requests(name, payloads, at: date, concurrency: .concurrent))
    }
}
