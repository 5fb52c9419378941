import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("OutcomeInbox")
struct OutcomeInboxTests {
    @Test func onlyTheFirstPostAfterATakeAsksForATake() {
        let inbox = OutcomeInbox()
        var taken: [(id: ObjectId, outcome: HandlerOutcome)] = []
        #expect(inbox.post(ObjectId(), .returned(nil)))
        #expect(!inbox.post(ObjectId(), .threw("boom")))
        #expect(!inbox.post(ObjectId(), .abandoned))
        inbox.take(into: &taken)
        #expect(taken.count == 3)
        #expect(inbox.post(ObjectId(), .returned(nil)), "the take ran: the next post must queue another")
    }

    @Test func outcomesAreTakenInTheOrderTheyWerePosted() {
        let inbox = OutcomeInbox()
        let ids = (0..<5).map { _ in ObjectId() }
        for id in ids { _ = inbox.post(id, .returned(nil)) }
        var taken: [(id: ObjectId, outcome: HandlerOutcome)] = []
        inbox.take(into: &taken)
        #expect(taken.map(\.id) == ids)
        taken.removeAll(keepingCapacity: true)
        inbox.take(into: &taken)
        #expect(taken.isEmpty, "a take moves each outcome once")
    }

    @Test func concurrentPostsAreEachTakenOnceWithOneTakeRequestPerTake() async {
        let inbox = OutcomeInbox()
        let requests = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<1_000).reduce(0) { count, _ in count + (inbox.post(ObjectId(), .returned(nil)) ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        var taken: [(id: ObjectId, outcome: HandlerOutcome)] = []
        inbox.take(into: &taken)
        #expect(taken.count == 8_000)
        #expect(requests == 1, "nothing was taken in between: one take serves every post")
    }
}
