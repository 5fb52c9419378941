import Testing

@testable import Loop

@Suite("timer order")
struct TimerOrderTests {
    @Test("timers with equal deadlines fire in submission order", arguments: backends)
    func equalDeadlinesKeepSubmissionOrder(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let fired = Recorder<Int>()
            let later = clock.now() + .seconds(5)
            for index in 0..<100 {
                loop.schedule(at: later) { event in
                    if event == .fired { fired.append(index) }
                }
            }
            for index in 100..<110 {
                loop.schedule(after: .seconds(1)) { event in
                    if event == .fired { fired.append(index) }
                }
            }
            clock.advance(by: .seconds(5))
            #expect(loop.flush())
            #expect(fired.values == Array(100..<110) + Array(0..<100))
        }
    }

    @Test("timers scheduled on the loop thread with equal deadlines keep submission order", arguments: backends)
    func equalDeadlinesFromLoopThread(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let fired = Recorder<Int>()
            try loop.execute {
                for index in 0..<50 {
                    loop.schedule(after: .milliseconds(index % 5)) { event in
                        if event == .fired { fired.append(index) }
                    }
                }
            }
            clock.advance(by: .seconds(1))
            #expect(loop.flush())
            let expected = (0..<50).sorted { ($0 % 5, $0) < ($1 % 5, $1) }
            #expect(fired.values == expected)
        }
    }

    @Test("100k timers in random order all fire, in (deadline, submission) order", arguments: backends)
    func hundredThousandTimers(backend: EventLoop.Backend) throws {
        let clock = ManualClock()
        try withLoop(clock: clock, backend: backend) { loop in
            let count = 100_000
            var generator = SplitMix64(seed: 42)
            let offsets = (0..<count).map { _ in Int64(generator.next() % 10_000) }
            let fired = Recorder<Int>()
            try loop.execute {
                for (index, offset) in offsets.enumerated() {
                    loop.schedule(at: LoopInstant(nanoseconds: offset)) { event in
                        if event == .fired { fired.append(index) }
                    }
                }
            }
            clock.advance(to: LoopInstant(nanoseconds: 10_000))
            #expect(loop.flush())
            let expected = (0..<count).sorted { (offsets[$0], $0) < (offsets[$1], $1) }
            let values = fired.values
            #expect(values.count == count)
            #expect(values == expected)
        }
    }

    @Test("on the monotonic clock timers fire at or after their deadline, earliest first", arguments: backends)
    func monotonicTimersFire(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let fired = Recorder<Int>()
            let early = Recorder<Int>()
            let done = Latch(count: 3)
            for milliseconds in [30, 10, 20] {
                let deadline = loop.now + .milliseconds(milliseconds)
                loop.schedule(at: deadline) { event in
                    if loop.now < deadline { early.append(milliseconds) }
                    if event == .fired { fired.append(milliseconds) }
                    done.signal()
                }
            }
            #expect(done.wait())
            #expect(fired.values == [10, 20, 30])
            #expect(early.values.isEmpty)
        }
    }

    @Test("a timer whose deadline has passed fires at the next iteration", arguments: backends)
    func pastDeadlineFiresAtOnce(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let done = Latch()
            loop.schedule(at: loop.now - .seconds(1)) { event in
                #expect(event == .fired)
                done.signal()
            }
            #expect(done.wait())
        }
    }
}

/// A small seeded generator, so the random test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
