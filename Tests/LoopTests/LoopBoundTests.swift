import Testing

@testable import Loop

@Suite("LoopBound")
struct LoopBoundTests {
    @Test("a bound value is read and mutated in place on its loop's thread")
    func accessOnLoop() throws {
        try withLoop { loop in
            let bound = LoopBound([Int](), loop: loop)
            for index in 0..<10 {
                try loop.execute { bound.value.append(index) }
            }
            let value = try loop.onLoop { bound.value }
            #expect(value == Array(0..<10))
        }
    }

    @Test("touching a bound value off its loop's thread traps")
    func accessOffLoopTraps() async {
        await #expect(processExitsWith: .failure) {
            let loop = try EventLoop()
            let bound = LoopBound(0, loop: loop)
            _ = bound.value
        }
    }

    @Test("waiting for the loop to stop from the loop thread traps")
    func waitOnLoopTraps() async {
        await #expect(processExitsWith: .failure) {
            let loop = try EventLoop()
            try loop.execute { loop.waitUntilStopped() }
            loop.run()
        }
    }
}
