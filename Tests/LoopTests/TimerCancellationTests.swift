import Synchronization
import Testing

@testable import Loop

@Suite("timer cancellation")
struct TimerCancellationTests {
    @Test("a cancelled timer never fires, and cancelling twice reports false", arguments: backends)
    func cancelledTimerNeverFires(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let fired = Recorder<String>()
            loop.schedule(after: .seconds(1)) { if $0 == .fired { fired.append("a") } }
            let b = loop.schedule(after: .seconds(1)) { _ in fired.append("b") }
            loop.schedule(after: .seconds(2)) { if $0 == .fired { fired.append("c") } }
            #expect(loop.cancel(b))
            #expect(!loop.cancel(b))
            #expect(b.isFinished)
            clock.advance(by: .seconds(2))
            #expect(loop.flush())
            #expect(fired.values == ["a", "c"])
        }
    }

    @Test("timers cancelled from other threads never fire", arguments: backends)
    func cancelFromOtherThreads(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let fired = Recorder<Int>()
            let handles = (0..<1_000).map { index in
                loop.schedule(after: .milliseconds(index + 1)) { event in
                    if event == .fired { fired.append(index) }
                }
            }
            onThreads(4) { thread in
                for index in stride(from: thread * 2, to: handles.count, by: 8) {
                    #expect(loop.cancel(handles[index]))
                }
            }
            clock.advance(by: .seconds(1))
            #expect(loop.flush())
            #expect(fired.values == (0..<1_000).filter { $0 % 2 == 1 })
        }
    }

    @Test("a cancel racing with the firing either wins or loses, never both", arguments: backends)
    func cancelRacingWithFiring(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let count = 2_000
            let fired = Recorder<Int>()
            let cancelled = Recorder<Int>()
            let finished = Latch(count: count)
            let due = loop.now
            let handles = Mutex<[TimerHandle]>([])
            for index in 0..<count {
                let handle = loop.schedule(at: due) { event in
                    if event == .fired { fired.append(index) }
                    finished.signal()
                }
                handles.withLock { $0.append(handle) }
            }
            onThreads(1) { _ in
                for (index, handle) in handles.withLock({ $0 }).enumerated() where loop.cancel(handle) {
                    cancelled.append(index)
                    finished.signal()
                }
            }
            #expect(finished.wait())
            let firedSet = Set(fired.values)
            let cancelledSet = Set(cancelled.values)
            #expect(firedSet.isDisjoint(with: cancelledSet))
            #expect(firedSet.count + cancelledSet.count == count)
        }
    }

    @Test("cancelling the earliest armed timer re-arms the deadline for the next one", arguments: backends)
    func cancellingEarliestRearms(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let fired = Recorder<String>()
            let first = loop.schedule(after: .seconds(60)) { if $0 == .fired { fired.append("first") } }
            let second = loop.schedule(after: .seconds(120)) { if $0 == .fired { fired.append("second") } }
            // Each `onLoop` runs one iteration after the previous submissions, so after the
            // re-arming decision that iteration made.
            #expect(loop.flush())
            let armedAtFirst = try loop.onLoop { loop.timers.armed }
            #expect(armedAtFirst == first.deadline)
            #expect(loop.cancel(first))
            #expect(loop.flush())
            let armedAtSecond = try loop.onLoop { loop.timers.armed }
            #expect(armedAtSecond == second.deadline)
            #expect(loop.cancel(second))
            #expect(loop.flush())
            let armedAtNone = try loop.onLoop { loop.timers.armed }
            #expect(armedAtNone == nil)
            #expect(fired.values.isEmpty)
        }
    }

    @Test("cancelled timers far in the future are compacted out of the heap", arguments: backends)
    func cancelledTimersAreCompacted(backend: EventLoop.Backend) throws {
        let ran = Recorder<TimerEvent>()
        try withLoop(backend: backend) { loop in
            let handles = (0..<5_000).map { _ in
                loop.schedule(after: .seconds(3_600)) { ran.append($0) }
            }
            let scheduled = try loop.onLoop { loop.timers.count }
            #expect(scheduled == 5_000)
            for handle in handles {
                loop.cancel(handle)
            }
            #expect(loop.flush())
            let remaining = try loop.onLoop { loop.timers.count }
            #expect(remaining == 0)
        }
        #expect(ran.values.isEmpty)
    }
}
