import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("ClaimQueue")
struct ClaimQueueTests {
    /// Pops everything.
    private func drain(_ queue: inout ClaimQueue<Int>) -> [Int] {
        var popped: [Int] = []
        while let next = queue.popMin() { popped.append(next) }
        return popped
    }

    @Test func elementsInsertedInOrderComeOutInOrder() {
        var queue = ClaimQueue<Int>()
        for value in [1, 2, 2, 3, 5, 8] { queue.insert(value) }
        #expect(queue.count == 6)
        #expect(drain(&queue) == [1, 2, 2, 3, 5, 8])
        #expect(queue.isEmpty)
    }

    @Test func anElementSmallerThanTheInOrderRunStillComesOutFirst() {
        var queue = ClaimQueue<Int>()
        for value in [10, 20, 30, 5, 25, 40] { queue.insert(value) }
        #expect(queue.min == 5)
        #expect(drain(&queue) == [5, 10, 20, 25, 30, 40])
    }

    @Test func insertionsBetweenPopsKeepTheOrderOfAHeap() {
        var generator = SystemRandomNumberGenerator()
        var queue = ClaimQueue<Int>()
        var reference: [Int] = []  // kept sorted
        var popped: [Int?] = [], expected: [Int?] = []
        for step in 0..<2_000 {
            if step % 3 == 2 {
                popped.append(queue.popMin())
                expected.append(reference.isEmpty ? nil : reference.removeFirst())
            } else {
                // Mostly rising values, as jobs are created, with some earlier ones mixed in.
                let value = Bool.random(using: &generator) ? step : Int.random(in: 0...step, using: &generator)
                queue.insert(value)
                reference.insert(value, at: reference.firstIndex { $0 > value } ?? reference.endIndex)
            }
        }
        #expect(popped == expected)
        #expect(queue.min == reference.first)
        #expect(drain(&queue) == reference)
    }
}
