import Foundation
import Testing
@testable import Cron

/// The integer calendar agrees with Foundation's Gregorian calendar.
struct CivilCalendarTests {
    @Test func dayNumbersAgreeWithFoundationAndRoundTrip() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let day = Int.random(in: -140_000...800_000, using: &random)  // Foundation is Julian before 1582
            let date = CivilCalendar.date(fromDayNumber: day)
            let components = calendar.dateComponents(
                [.year, .month, .day, .weekday], from: Date(timeIntervalSince1970: Double(day) * 86_400))
            #expect(components.year == date.year && components.month == date.month && components.day == date.day)
            #expect(components.weekday.map { $0 - 1 } == CivilCalendar.weekday(dayNumber: day))
            #expect(CivilCalendar.dayNumber(year: date.year, month: date.month, day: date.day) == day)
        }
    }

    @Test func wallClockSplitsAndJoinsNegativeSeconds() {
        let wall = -1
        let clock = CivilCalendar.wallClock(wallSeconds: wall)
        #expect(clock.date == CivilCalendar.Date(year: 1969, month: 12, day: 31))
        #expect((clock.hour, clock.minute, clock.second) == (23, 59, 59))
        #expect(CivilCalendar.wallSeconds(clock.date, hour: 23, minute: 59, second: 59) == wall)
    }
}
