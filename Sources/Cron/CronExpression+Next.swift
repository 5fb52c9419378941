import Foundation

extension CronExpression {
    /// How far ahead a search looks: one full 400-year Gregorian cycle (and a year), within
    /// which every expression accepted by the parser fires.
    static let searchHorizon = 401 * 366 * CivilCalendar.secondsPerDay

    /// The first time strictly after `date` at which the schedule fires in `zone`, or nil if
    /// there is none within 400 years (or `date` is not finite).
    ///
    /// The fields are matched against local wall-clock time in `zone`. Around offset changes:
    /// - A local time that does not exist (spring forward) fires at the first instant after
    ///   the jump: `30 2 * * *` in Europe/Paris on 2026-03-29 fires at 03:00+02:00. Several
    ///   skipped times fire once.
    /// - A local time that happens twice (fall back) fires once, at its first occurrence,
    ///   when the hour field is fixed; when the hour field starts with `*` (`*`, `*/n`) it
    ///   fires at every real occurrence, so `*/15 * * * *` keeps firing every 15 real
    ///   minutes through both changes.
    ///
    /// Results are whole seconds. Complexity: a few steps per month crossed plus one per
    /// offset change crossed; the zone's transitions are cached process-wide.
    public func next(after date: Date, in zone: TimeZone) -> Date? {
        var offsets = ZoneOffsets(zone: zone)
        guard let after = Self.wholeSecond(date), let instant = nextInstant(after: after, offsets: &offsets) else {
            return nil
        }
        return Date(timeIntervalSince1970: Double(instant))
    }

    /// The next `count` firing times after `date` in `zone`, in increasing order; fewer if the
    /// search runs out (see `next(after:in:)`). O(count) searches sharing one zone cursor.
    public func next(after date: Date, in zone: TimeZone, count: Int) -> [Date] {
        var offsets = ZoneOffsets(zone: zone)
        guard var after = Self.wholeSecond(date), count > 0 else { return [] }
        var result: [Date] = []
        result.reserveCapacity(count)
        while result.count < count, let instant = nextInstant(after: after, offsets: &offsets) {
            result.append(Date(timeIntervalSince1970: Double(instant)))
            after = instant
        }
        return result
    }

    /// The largest whole Unix second not after `date`; nil for non-finite or absurd dates.
    static func wholeSecond(_ date: Date) -> Int? {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e13 else { return nil }
        return Int(seconds.rounded(.down))
    }

    /// The first firing instant (Unix seconds) strictly after `after`.
    ///
    /// Walks the zone's constant-offset intervals from `after`. In an interval with offset
    /// `o`, instant `t` shows wall time `t + o`, so the matches are the wall times found by
    /// `nextWallTime` in the interval's wall range, shifted back by `o`. Two adjustments
    /// make the DST rules:
    /// - At the start of an interval that follows a jump forward, the search starts at the
    ///   wall time before the jump, so skipped times are found and fire at the jump itself.
    /// - After a jump back, fixed-hour schedules start at the latest wall time already
    ///   shown, so repeated times do not fire a second time.
    func nextInstant(after: Int, offsets: inout ZoneOffsets) -> Int? {
        var instant = after + 1
        let horizon = instant + Self.searchHorizon
        while instant < horizon {
            let interval = offsets.interval(containing: instant)
            var low = instant + interval.offset
            if instant == interval.start && interval.previousOffset < interval.offset {
                low = instant + interval.previousOffset
            }
            if !hourIsStar && interval.previousOffset > interval.offset {
                low = max(low, interval.start + interval.previousOffset)
            }
            let bound = interval.end + interval.offset
            if low < bound, let wall = nextWallTime(atOrAfter: low, before: bound) {
                return max(wall - interval.offset, instant)
            }
            instant = interval.end
        }
        return nil
    }
}
