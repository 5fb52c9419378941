import Foundation
import BSON

/// How many jobs ended in one minute with one status (``JobStore/endingsPerMinute(since:limit:)``).
public struct EndingsInMinute: Sendable, Hashable {
    /// The minute's start (UTC).
    public var minute: Date
    /// The status the jobs ended with (`finished`, `errored`, ...).
    public var status: JobStatus
    /// How many jobs ended so in that minute.
    public var count: Int

    /// The count of `status` endings in the minute starting at `minute`.
    public init(minute: Date, status: JobStatus, count: Int) {
        self.minute = minute
        self.status = status
        self.count = count
    }

    /// The start of the minute `date` falls in, in whole minutes since 1970 (UTC).
    public static func minute(of date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }

    /// `dates` and their statuses counted by minute and status, ordered by minute then status.
    public static func count(_ endings: some Sequence<(endedAt: Date, status: JobStatus)>) -> [EndingsInMinute] {
        var counts: [Key: Int] = [:]
        for ending in endings { counts[Key(minute: minute(of: ending.endedAt), status: ending.status), default: 0] += 1 }
        return counts.map { EndingsInMinute(minute: $0.key.minute, status: $0.key.status, count: $0.value) }
            .sorted { ($0.minute, $0.status.rawValue) < ($1.minute, $1.status.rawValue) }
    }

    private struct Key: Hashable {
        var minute: Date
        var status: JobStatus
    }
}
