import Foundation
import BSON

extension JobDocument {
    /// `job` as a store keeps it, computed without writing and reading its document: its dates,
    /// and those in its payload, cut to whole milliseconds (``BSONDocument/storedForm(maxDepth:)``).
    ///
    /// Why: scheduling returns the job as a read would, and a round trip through the BSON format
    /// for every new job costs more than the store's own write of it. Nil where only the round
    /// trip tells: a cron's own document (its shape differs), a job with an output (whose
    /// `duration` and `result` read back by rules of their own, ``decodeOutput(_:finished:)``),
    /// a payload whose stored form the walk cannot tell, a trace context with a NUL in a key.
    /// - Parameter keepingEveryField: whether the store keeps every field (an SQLite row) or
    ///   the fields of MongoDB's shapes (``encode(_:exclusiveKeyField:)``), which hold no
    ///   `cron_string` but on a cron, and no `payload` or `sync` on a cron task.
    package static func storedForm(_ job: Job, keepingEveryField: Bool) -> Job? {
        guard job.type != .cron, job.output == nil else { return nil }
        // The writer replaces a NUL in a key; the carrier's strings are kept as they are.
        if let traceContext = job.traceContext, traceContext.keys.contains(where: { $0.utf8.contains(0) }) { return nil }
        var stored = job
        if let payload = job.payload, !(keepingEveryField == false && job.type == .cronTask) {
            // The payload is the second level of the job's document.
            guard let payload = payload.storedForm(maxDepth: 99) else { return nil }
            stored.payload = payload
        }
        stored.scheduledFor = cut(job.scheduledFor)
        stored.startedAt = job.startedAt.map(cut)
        stored.endedAt = job.endedAt.map(cut)
        stored.updatedAt = cut(job.updatedAt)
        stored.createdAt = cut(job.createdAt)
        // The options: integers are stored as 32 bits, dates as whole milliseconds.
        guard Int32(exactly: job.priority) != nil, job.maxAttempts.map({ Int32(exactly: $0) != nil }) ?? true,
              Int32(exactly: job.attempts) != nil
        else { return nil }
        if let expiresAt = job.expiresAt { stored.expiresAt = cut(expiresAt) }
        if !job.attemptErrors.isEmpty {
            guard job.attemptErrors.allSatisfy({ Int32(exactly: $0.attempt) != nil }) else { return nil }
            stored.attemptErrors = job.attemptErrors.map { AttemptError(attempt: $0.attempt, error: $0.error, at: cut($0.at)) }
        }
        if !keepingEveryField {
            stored.cronString = nil
            if job.type == .cronTask {
                stored.payload = nil
                stored.sync = false
            }
        }
        return stored
    }

    /// `date` cut to its whole millisecond, as a BSON date or an SQLite integer keeps it.
    private static func cut(_ date: Date) -> Date {
        Date(millisecondsSince1970: date.millisecondsSince1970)
    }
}
