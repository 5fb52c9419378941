import Testing

@testable import Loop

@Suite("manual clock")
struct ManualClockTests {
    @Test("advancing fires the timers now due, and only those, without waiting", arguments: backends)
    func advancingFiresDueTimers(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        let wallClock = MonotonicClock()
        let started = wallClock.now()
        try withLoop(clock: clock, backend: backend) { loop in
            let fired = Recorder<String>()
            loop.schedule(after: .seconds(3_600)) { if $0 == .fired { fired.append("1h") } }
            loop.schedule(after: .seconds(7_200)) { if $0 == .fired { fired.append("2h") } }
            #expect(loop.flush())
            #expect(fired.values.isEmpty)
            clock.advance(by: .seconds(3_600))
            #expect(loop.flush())
            #expect(fired.values == ["1h"])
            clock.advance(to: LoopInstant(nanoseconds: 0) + .seconds(7_200))
            #expect(loop.flush())
            #expect(fired.values == ["1h", "2h"])
        }
        #expect(wallClock.now() - started < .seconds(5))
    }

    @Test("a manual clock never moves backwards")
    func neverMovesBackwards() {
        let clock = ManualClock(now: LoopInstant(nanoseconds: 1_000))
        clock.advance(to: LoopInstant(nanoseconds: 10))
        #expect(clock.now() == LoopInstant(nanoseconds: 1_000))
        clock.advance(by: .nanoseconds(5))
        #expect(clock.now() == LoopInstant(nanoseconds: 1_005))
    }

    @Test("timers fire on the loop thread", arguments: backends)
    func timersFireOnLoopThread(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let onLoop = Recorder<Bool>()
            loop.schedule(after: .seconds(1)) { _ in onLoop.append(loop.inLoop) }
            clock.advance(by: .seconds(1))
            #expect(loop.flush())
            #expect(onLoop.values == [true])
        }
    }

    @Test("advancing one clock wakes every loop attached to it", arguments: backends)
    func advancingWakesEveryLoop(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        let fired = Recorder<Int>()
        try withLoop(clock: clock, backend: backend) { first in
            try withLoop(clock: clock, backend: backend) { second in
                first.schedule(after: .seconds(1)) { if $0 == .fired { fired.append(1) } }
                second.schedule(after: .seconds(1)) { if $0 == .fired { fired.append(2) } }
                clock.advance(by: .seconds(1))
                #expect(first.flush())
                #expect(second.flush())
            }
        }
        #expect(fired.values.sorted() == [1, 2])
    }
}
