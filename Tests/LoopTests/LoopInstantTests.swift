import Glibc
import Testing

@testable import Loop

@Suite("instants and errors")
struct LoopInstantTests {
    @Test("instant arithmetic with durations is exact to the nanosecond")
    func arithmetic() {
        let start = LoopInstant(nanoseconds: 1_000)
        #expect(start + .milliseconds(2) == LoopInstant(nanoseconds: 2_001_000))
        #expect(start - .nanoseconds(1_500) == LoopInstant(nanoseconds: -500))
        #expect((start + .seconds(3)) - start == .seconds(3))
        #expect(start - (start + .seconds(3)) == .seconds(-3))
        var moving = start
        moving += .microseconds(1)
        #expect(moving == LoopInstant(nanoseconds: 2_000))
        #expect(start < moving)
    }

    @Test("instant arithmetic saturates instead of trapping")
    func saturation() {
        #expect(LoopInstant(nanoseconds: 1) + .seconds(Int64.max) == .distantFuture)
        #expect(LoopInstant.distantFuture + .seconds(1) == .distantFuture)
        #expect(LoopInstant(nanoseconds: -1) - .seconds(Int64.max) == LoopInstant(nanoseconds: .min))
        #expect(LoopInstant.distantFuture - LoopInstant(nanoseconds: .min) == .nanoseconds(Int64.max))
    }

    @Test("the monotonic clock never goes backwards")
    func monotonicClockIsMonotonic() {
        let clock = MonotonicClock()
        var previous = clock.now()
        for _ in 0..<1_000 {
            let next = clock.now()
            #expect(next >= previous)
            previous = next
        }
    }

    @Test("a syscall error names the call and the errno, a stop error the operation")
    func errorDescriptions() {
        let failure = LoopError.syscall("epoll_wait", errno: EBADF)
        #expect(failure.code == .syscallFailed)
        #expect(failure.description == "epoll_wait: syscall failed: Bad file descriptor (errno \(EBADF))")
        #expect(LoopError.stopped("execute").description == "execute: loop stopped")
    }

    @Test("a failing system call throws its name and errno; EINTR is retried")
    func syscallHelper() throws {
        let error = #expect(throws: LoopError.self) {
            try syscall("close") { Glibc.close(-1) }
        }
        #expect(error?.operation == "close")
        #expect(error?.errno == EBADF)
        var interruptions = 2
        let result = try syscall("fake") { () -> Int32 in
            guard interruptions == 0 else {
                interruptions -= 1
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
    }
}
