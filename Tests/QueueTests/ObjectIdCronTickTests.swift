import Foundation
import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

/// The id of a cron tick's task: every process, of any version, must derive the same one.
@Suite("ObjectId of a cron tick")
struct ObjectIdCronTickTests {
    @Test func theIdIsFixedByTheNameAndDueTimeInEveryProcess() {
        // Computed independently (Python): a change here orphans the tasks of ticks under way.
        let due = Date(timeIntervalSince1970: 1_750_000_000)
        #expect(ObjectId(cronTick: "nightly-export", due: due).description == "684ee180f39035c9cadd05b0")
        #expect(ObjectId(cronTick: "é", due: due.addingTimeInterval(0.123)).description == "684ee180359229fe421676ff")
        #expect(ObjectId(cronTick: "x", due: Date(timeIntervalSince1970: -1.5)).description == "fffffffe7f518385648d860c")
    }

    @Test func theTimeBytesAreTheDueSecondsAndEveryTickAndCronHasItsOwnId() {
        let due = Date(timeIntervalSince1970: 1_750_000_060)
        let id = ObjectId(cronTick: "nightly-export", due: due)
        #expect(id.description == "684ee1bcfdcad4c9d119efa1")
        #expect(Array(id.bytes.prefix(4)) == [0x68, 0x4E, 0xE1, 0xBC], "1_750_000_060 s, big-endian")
        let ids: Set<ObjectId> = [
            id, ObjectId(cronTick: "nightly-export", due: due.addingTimeInterval(0.001)),
            ObjectId(cronTick: "nightly-export", due: due.addingTimeInterval(60)),
            ObjectId(cronTick: "nightly-expor", due: due), ObjectId(cronTick: "", due: due),
        ]
        #expect(ids.count == 5)
    }

    @Test func datesBeyondTheRangeOfMillisecondsDoNotTrap() {
        _ = ObjectId(cronTick: "x", due: .distantFuture)
        _ = ObjectId(cronTick: "x", due: Date(timeIntervalSince1970: .infinity))
        _ = ObjectId(cronTick: "x", due: Date(timeIntervalSince1970: -.infinity))
        _ = ObjectId(cronTick: "x", due: Date(timeIntervalSince1970: .nan))
        _ = ObjectId(cronTick: "x", due: Date(timeIntervalSince1970: 1e300))
    }
}
