import Loop
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("EndingGather")
struct EndingGatherTests {
    private static let origin = LoopInstant(nanoseconds: 1_000_000_000)

    /// A gather whose last ending write took `lastWrite`, with one ending queued at the origin.
    private func gather(lastWrite: Duration) -> EndingGather {
        var gather = EndingGather()
        gather.lastWrite = lastWrite
        gather.queued(at: Self.origin)
        return gather
    }

    @Test func endingsWaitForOthersAtMostTheLastWriteTime() {
        let gather = gather(lastWrite: .microseconds(400))
        #expect(gather.waitUntil(now: Self.origin, othersRunning: true, draining: false) == Self.origin + .microseconds(400))
        #expect(gather.waitUntil(now: Self.origin + .microseconds(399), othersRunning: true, draining: false) != nil)
        #expect(gather.waitUntil(now: Self.origin + .microseconds(400), othersRunning: true, draining: false) == nil,
                "the wait is over: the endings go")
    }

    @Test func theWaitIsCappedWhenTheStoreIsSlow() {
        let gather = gather(lastWrite: .milliseconds(30))
        #expect(gather.waitUntil(now: Self.origin, othersRunning: true, draining: false)
                == Self.origin + EndingGather.defaultLongestWait)
    }

    @Test func anEndingGoesAtOnceWhenNoOtherHandlerRuns() {
        #expect(gather(lastWrite: .milliseconds(1)).waitUntil(now: Self.origin, othersRunning: false, draining: false) == nil)
    }

    @Test func anEndingGoesAtOnceWhileDraining() {
        #expect(gather(lastWrite: .milliseconds(1)).waitUntil(now: Self.origin, othersRunning: true, draining: true) == nil)
    }

    @Test func endingsNeverWaitOnAStoreFasterThanATimer() {
        let fast = gather(lastWrite: EndingGather.shortestWait - .nanoseconds(1))
        #expect(fast.waitUntil(now: Self.origin, othersRunning: true, draining: false) == nil)
        #expect(EndingGather().waitUntil(now: Self.origin, othersRunning: true, draining: false) == nil,
                "before the first write, nothing is known of the store: no wait")
    }

    @Test func endingsQueuedBeforeAStartWaitForTheHandlersJustStarted() {
        var gather = gather(lastWrite: .microseconds(500))
        let start = Self.origin + .milliseconds(2)  // a call was in flight meanwhile; its jobs start now
        gather.started(at: start)
        #expect(gather.waitUntil(now: start, othersRunning: true, draining: false) == start + .microseconds(500))
    }

    @Test func theOldestQueuedEndingSetsTheWaitUntilTheyAreFlushed() {
        var gather = gather(lastWrite: .microseconds(500))
        gather.queued(at: Self.origin + .microseconds(300))
        #expect(gather.waitUntil(now: Self.origin, othersRunning: true, draining: false) == Self.origin + .microseconds(500))
        gather.flushed()
        #expect(gather.waitUntil(now: Self.origin, othersRunning: true, draining: false) == nil, "nothing is queued")
        gather.queued(at: Self.origin + .milliseconds(1))
        #expect(gather.waitUntil(now: Self.origin + .milliseconds(1), othersRunning: true, draining: false)
                == Self.origin + .milliseconds(1) + .microseconds(500))
    }
}
