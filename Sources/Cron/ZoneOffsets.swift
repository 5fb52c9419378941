import Foundation
import Synchronization

/// A stretch of time during which a zone's UTC offset does not change.
struct OffsetInterval: Hashable, Sendable {
    /// First instant (Unix seconds) of the interval: a transition, or an arbitrary earlier
    /// instant when no transition is near.
    var start: Int
    /// First instant after the interval (exclusive): the next transition, or the end of the
    /// cached window (then the offset simply continues).
    var end: Int
    /// Seconds east of UTC during the interval.
    var offset: Int
    /// Seconds east of UTC just before `start` (equal to `offset` when `start` is no change).
    var previousOffset: Int
}

/// A zone's transitions over a window of about two years, read once from Foundation.
///
/// Why: `TimeZone.secondsFromGMT(for:)` costs about 100 ns and a next-occurrence search
/// needs several lookups; a cached window answers with a short scan of an array. The window
/// also reaches `margin` before its start, so the interval containing any instant of the
/// window knows the transition just before it (needed for repeated local times).
struct ZoneOffsetWindow: Sendable {
    /// Window length in seconds (2^26 s, about 777 days).
    static let length = 1 << 26
    /// How far before the window transitions are also recorded.
    static let margin = 2 * 86_400

    let start: Int
    let end: Int
    let initialOffset: Int
    let transitions: [Int]
    let offsets: [Int]

    /// Reads the transitions of `zone` for window number `index`. O(transitions) Foundation
    /// calls, about a microsecond each.
    init(zone: TimeZone, index: Int) {
        start = index * Self.length
        end = start + Self.length
        var cursor = Date(timeIntervalSince1970: Double(start - Self.margin))
        initialOffset = zone.secondsFromGMT(for: cursor)
        var transitions: [Int] = []
        var offsets: [Int] = []
        var current = initialOffset
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor),
              next > cursor, next.timeIntervalSince1970 < Double(end), transitions.count < 64 {
            let instant = Int(next.timeIntervalSince1970.rounded(.up))
            let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
            if offset != current {
                transitions.append(instant)
                offsets.append(offset)
                current = offset
            }
            cursor = next
        }
        self.transitions = transitions
        self.offsets = offsets
    }

    /// The interval containing `instant`, which must lie in `start..<end`. O(transitions).
    func interval(containing instant: Int) -> OffsetInterval {
        var index = 0
        while index < transitions.count && transitions[index] <= instant {
            index += 1
        }
        let intervalEnd = index < transitions.count ? transitions[index] : end
        if index == 0 {
            return OffsetInterval(
                start: start - Self.margin, end: intervalEnd,
                offset: initialOffset, previousOffset: initialOffset)
        }
        return OffsetInterval(
            start: transitions[index - 1], end: intervalEnd, offset: offsets[index - 1],
            previousOffset: index >= 2 ? offsets[index - 2] : initialOffset)
    }
}

/// Answers "which offset interval contains this instant" for one zone, from a process-wide
/// cache of `ZoneOffsetWindow`s.
///
/// The cache is shared by all threads behind a `Mutex`; a `ZoneOffsets` value keeps the
/// window it last used, so a search that stays in one window takes the lock once.
struct ZoneOffsets {
    private struct Key: Hashable {
        var zone: String
        var index: Int
    }

    /// Windows by zone identifier and window number. Cleared when it grows past
    /// `cacheLimit` entries, which only happens for searches spread over centuries.
    private static let cache = Mutex<[Key: ZoneOffsetWindow]>([:])
    private static let cacheLimit = 4096

    let zone: TimeZone
    private var window: ZoneOffsetWindow?

    /// A cursor over `zone`'s offsets; reads nothing until asked.
    init(zone: TimeZone) {
        self.zone = zone
    }

    /// The interval containing `instant` (Unix seconds). O(1) amortised.
    mutating func interval(containing instant: Int) -> OffsetInterval {
        if let window, window.start <= instant, instant < window.end {
            return window.interval(containing: instant)
        }
        let index = CivilCalendar.floorDivide(instant, ZoneOffsetWindow.length)
        let key = Key(zone: zone.identifier, index: index)
        let loaded = Self.cache.withLock { cache in cache[key] } ?? {
            let fresh = ZoneOffsetWindow(zone: zone, index: index)
            Self.cache.withLock { cache in
                if cache.count >= Self.cacheLimit {
                    cache.removeAll(keepingCapacity: true)
                }
                cache[key] = fresh
            }
            return fresh
        }()
        window = loaded
        return loaded.interval(containing: instant)
    }

    /// Seconds east of UTC at `instant`. O(1) amortised.
    mutating func offset(at instant: Int) -> Int {
        interval(containing: instant).offset
    }
}
