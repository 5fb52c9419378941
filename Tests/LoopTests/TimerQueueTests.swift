import Testing

@testable import Loop

extension TimerQueue {
    /// Every timer due at `now`, in firing order.
    mutating func popAllDue(at now: LoopInstant) -> [TimerRecord] {
        var due: [TimerRecord] = []
        while let record = popDue(at: now, submittedBefore: .max) {
            due.append(record)
        }
        return due
    }
}

/// The timer heap and timerfd arming rules, without a loop or a kernel.
@Suite("timer queue")
struct TimerQueueTests {
    private var sequence: UInt64 = 0

    private mutating func record(at nanoseconds: Int64) -> TimerRecord {
        sequence += 1
        return TimerRecord(deadline: LoopInstant(nanoseconds: nanoseconds), sequence: sequence) { _ in }
    }

    @Test("the deadline is re-armed only when the earliest deadline changes")
    mutating func rearmsOnlyWhenEarliestChanges() {
        var queue = TimerQueue()
        let now = LoopInstant(nanoseconds: 0)
        queue.insert(record(at: 100))
        #expect(queue.deadlineChange(now: now) == .arm(LoopInstant(nanoseconds: 100)))
        queue.insert(record(at: 200))
        queue.insert(record(at: 100))
        #expect(queue.deadlineChange(now: now) == nil)
        let earliest = record(at: 50)
        queue.insert(earliest)
        #expect(queue.deadlineChange(now: now) == .arm(LoopInstant(nanoseconds: 50)))
        #expect(earliest.cancel())
        #expect(queue.deadlineChange(now: now) == .arm(LoopInstant(nanoseconds: 100)))

        let due = queue.popAllDue(at: LoopInstant(nanoseconds: 100))
        #expect(due.map(\.deadline.nanoseconds) == [100, 100])
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 100)) == .arm(LoopInstant(nanoseconds: 200)))
    }

    @Test("an armed deadline nobody waits for is disarmed; an expired one is left alone")
    mutating func disarmsOnlyFutureDeadlines() {
        var queue = TimerQueue()
        let later = record(at: 200)
        queue.insert(later)
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 0)) == .arm(LoopInstant(nanoseconds: 200)))
        #expect(later.cancel())
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 0)) == .disarm)
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 0)) == nil)

        queue.insert(record(at: 300))
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 0)) == .arm(LoopInstant(nanoseconds: 300)))
        _ = queue.popAllDue(at: LoopInstant(nanoseconds: 300))
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 300)) == nil)
        #expect(queue.armed == nil)
    }

    @Test("a deadline already due is not armed: the loop polls instead")
    mutating func dueDeadlineIsNotArmed() {
        var queue = TimerQueue()
        queue.insert(record(at: 10))
        #expect(queue.deadlineChange(now: LoopInstant(nanoseconds: 10)) == nil)
        #expect(queue.armed == nil)
    }

    @Test("equal deadlines pop in submission order; cancelled ones fail to be claimed")
    mutating func equalDeadlinesPopInOrder() {
        var queue = TimerQueue()
        let records = (0..<10).map { _ in record(at: 5) }
        for record in records.reversed() {
            queue.insert(record)
        }
        #expect(records[3].cancel())
        let due = queue.popAllDue(at: LoopInstant(nanoseconds: 5))
        #expect(due.map(\.sequence) == records.map(\.sequence))
        #expect(due.filter { $0.claim() }.map(\.sequence) == records.enumerated().filter { $0.offset != 3 }.map(\.element.sequence))
        #expect(queue.count == 0)
    }

    @Test("a firing pass stops at timers submitted after it began")
    mutating func passStopsAtLaterSubmissions() {
        var queue = TimerQueue()
        let early = record(at: 5)
        let late = record(at: 1)
        queue.insert(early)
        queue.insert(late)
        #expect(queue.popDue(at: LoopInstant(nanoseconds: 10), submittedBefore: late.sequence) == nil)
        #expect(queue.popDue(at: LoopInstant(nanoseconds: 10), submittedBefore: .max) === late)
        #expect(queue.popDue(at: LoopInstant(nanoseconds: 10), submittedBefore: .max) === early)
    }

    @Test("compaction drops exactly the cancelled timers")
    mutating func compactionDropsCancelled() {
        var queue = TimerQueue()
        let records = (0..<100).map { record(at: Int64($0)) }
        for record in records {
            queue.insert(record)
        }
        for record in records where record.sequence % 3 == 0 {
            #expect(record.cancel())
        }
        #expect(queue.removeCancelled() == 33)
        var remaining: [UInt64] = []
        while let next = queue.popNext() {
            remaining.append(next.sequence)
        }
        #expect(remaining == records.map(\.sequence).filter { $0 % 3 != 0 })
    }
}
