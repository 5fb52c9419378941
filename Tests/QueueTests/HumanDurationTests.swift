import Testing
@testable import BSON
@testable import Queue
@testable import QueueMongo
@testable import QueueSQLite

@Suite("HumanDuration")
struct HumanDurationTests {
    @Test(arguments: [
        (Duration.zero, "0ms"), (.microseconds(400), "0ms"), (.microseconds(600), "1ms"), (.milliseconds(7), "7ms"),
        (.milliseconds(850), "850ms"), (.microseconds(999_600), "1000ms"), (.milliseconds(1_250), "1.25s"),
        (.seconds(59), "59.00s"), (.seconds(125), "2m 5s"), (.seconds(3_723), "1h 2m 3s"),
    ])
    func durationsReadAsPeopleWriteThem(_ duration: Duration, _ expected: String) {
        #expect(HumanDuration.format(duration) == expected)
    }
}
