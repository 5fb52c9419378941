extension CronExpression {
    /// The first local wall-clock time at or after `low` and before `bound` (both wall
    /// seconds) that matches every field, or nil.
    ///
    /// Why field by field: each step either accepts the current field or jumps it to its next
    /// allowed value (one `trailingZeroBitCount` on a bit set) and resets the smaller fields,
    /// so the cost is a few steps per month crossed, never one step per minute. Days come
    /// from `CronDayRule.matchingDays`, computed once per month visited. O(months between
    /// `low` and the answer, or `bound`).
    func nextWallTime(atOrAfter low: Int, before bound: Int) -> Int? {
        let clock = CivilCalendar.wallClock(wallSeconds: low)
        var year = clock.date.year
        var month = clock.date.month
        var day = clock.date.day
        var hour = clock.hour
        var minute = clock.minute
        var second = clock.second
        let boundDay = CivilCalendar.floorDivide(bound, CivilCalendar.secondsPerDay)

        var maskYear = Int.min
        var maskMonth = 0
        var dayMask: UInt64 = 0

        while true {
            if months & (1 << UInt64(month)) == 0 {
                let later = months >> UInt64(month + 1)
                if later != 0 {
                    month += 1 + later.trailingZeroBitCount
                } else {
                    year += 1
                    month = months.trailingZeroBitCount
                }
                day = 1
                hour = 0
                minute = 0
                second = 0
                if CivilCalendar.dayNumber(year: year, month: month, day: 1) > boundDay {
                    return nil
                }
            }
            if year != maskYear || month != maskMonth {
                dayMask = days.matchingDays(year: year, month: month)
                maskYear = year
                maskMonth = month
            }
            let laterDays = dayMask >> UInt64(day)
            if laterDays == 0 {
                // No matching day left this month: the first day of the next one.
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
                day = 1
                hour = 0
                minute = 0
                second = 0
                if CivilCalendar.dayNumber(year: year, month: month, day: 1) > boundDay {
                    return nil
                }
                continue
            }
            let matchingDay = day + laterDays.trailingZeroBitCount
            if matchingDay != day {
                day = matchingDay
                hour = 0
                minute = 0
                second = 0
            }

            let laterHours = hours >> UInt64(hour)
            if laterHours == 0 {
                day += 1
                hour = 0
                minute = 0
                second = 0
                continue
            }
            let matchingHour = hour + laterHours.trailingZeroBitCount
            if matchingHour != hour {
                hour = matchingHour
                minute = 0
                second = 0
            }

            let laterMinutes = minutes >> UInt64(minute)
            if laterMinutes == 0 {
                hour += 1
                minute = 0
                second = 0
                continue
            }
            let matchingMinute = minute + laterMinutes.trailingZeroBitCount
            if matchingMinute != minute {
                minute = matchingMinute
                second = 0
            }

            let laterSeconds = seconds >> UInt64(second)
            if laterSeconds == 0 {
                minute += 1
                second = 0
                continue
            }
            second += laterSeconds.trailingZeroBitCount

            let date = CivilCalendar.Date(year: year, month: month, day: day)
            let wall = CivilCalendar.wallSeconds(date, hour: hour, minute: minute, second: second)
            return wall < bound ? wall : nil
        }
    }
}
