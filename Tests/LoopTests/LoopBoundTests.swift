import Testing

@testable import Loop

@Suite("LoopBound")
struct LoopBoundTests {
    @Test("a bound value is read and mutated in place on its loop's thread", arguments: backends)
    func accessOnLoop(backend: EventLoop.Backend) throws {
        try withLoop(backend: backend) { loop in
            let bound = LoopBound([Int](), loop: loop)
            for index in 0..<10 {
                try loop.execute { bound.value.append(index) }
            }
            let value = try loop.onLoop { bound.value }
            #expect(value == Array(0..<10))
        }
    }

    @Test("touching a bound value off its loop's thread traps", arguments: backends)
    func accessOffLoopTraps(backend: EventLoop.Backend) async {
        let name = backend.description
        await #expect(processExitsWith: .failure) { [name = name as String] in
            let loop = try EventLoop(backend: try #require(EventLoop.Backend(name: name)))
            let bound = LoopBound(0, loop: loop)
            _ = bound.value
        }
    }

    @Test("waiting for the loop to stop from the loop thread traps", arguments: backends)
    func waitOnLoopTraps(backend: EventLoop.Backend) async {
        let name = backend.description
        await #expect(processExitsWith: .failure) { [name = name as String] in
            let loop = try EventLoop(backend: try #require(EventLoop.Backend(name: name)))
            try loop.execute { loop.waitUntilStopped() }
            loop.run()
        }
    }
}
