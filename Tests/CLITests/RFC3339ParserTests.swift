import Foundation
import Testing
@testable import JobProcessorCLI

/// The command line's strict RFC 3339 reading (`--at`, `--from`): every accepted form gives
/// the instant it names; every refusal names the field and the reason.
@Suite("RFC 3339 parser")
struct RFC3339ParserTests {
    @Test(arguments: [
        ("2026-11-29T12:00:00Z", 1_795_953_600.0),
        ("2026-11-29t12:00:00z", 1_795_953_600.0),
        ("2026-11-29 12:00:00Z", 1_795_953_600.0),
        ("2026-11-29T13:00:00+01:00", 1_795_953_600.0),
        ("2026-11-29T06:30:00-05:30", 1_795_953_600.0),
        ("2026-11-29T12:00:00-00:00", 1_795_953_600.0),
        ("2026-11-30T02:00:00+14:00", 1_795_953_600.0),
        ("2026-11-28T22:00:00-14:00", 1_795_953_600.0),
        ("2026-11-29T12:00:00.5Z", 1_795_953_600.5),
        ("2026-11-29T12:00:00.250000000999Z", 1_795_953_600.25),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T23:59:59Z", 1_709_251_199),
        ("2000-02-29T00:00:00Z", 951_782_400),
        ("0001-01-01T00:00:00Z", -62_135_596_800),
        ("9999-12-31T23:59:59Z", 253_402_300_799),
    ])
    func acceptsRFC3339DateTimesAndReturnsTheInstantTheyName(_ text: String, _ seconds: Double) throws {
        #expect(try RFC3339Parser.parse(text).timeIntervalSince1970 == seconds)
    }

    @Test(arguments: [
        ("2026-02-30T00:00:00Z", "February 2026 has 28 days"),
        ("2025-02-29T00:00:00Z", "February 2025 has 28 days"),
        ("1900-02-29T00:00:00Z", "February 1900 has 28 days"),
        ("2026-04-31T00:00:00Z", "April 2026 has 30 days"),
        ("2026-01-32T00:00:00Z", "January 2026 has 31 days"),
        ("2026-01-00T00:00:00Z", "day 00 does not exist"),
        ("2026-13-01T00:00:00Z", "month 13 does not exist (01-12)"),
        ("2026-00-01T00:00:00Z", "month 00 does not exist (01-12)"),
        ("0000-01-01T00:00:00Z", "year 0000 does not exist (0001-9999)"),
        ("2026-01-01T24:00:00Z", "hour 24 does not exist (00-23)"),
        ("2026-01-01T00:60:00Z", "minute 60 does not exist (00-59)"),
        ("2026-12-31T23:59:60Z", "second 60 (a leap second) is not accepted"),
        ("2026-01-01T00:00:61Z", "second 61 does not exist (00-59)"),
        ("2026-01-01T00:00:00+99:00", "offset +99:00 is beyond ±14:00"),
        ("2026-01-01T00:00:00+14:01", "offset +14:01 is beyond ±14:00"),
        ("2026-01-01T00:00:00-15:00", "offset -15:00 is beyond ±14:00"),
        ("2026-01-01T00:00:00+05:60", "offset +05:60: minute 60 does not exist"),
        ("0001-01-01T00:00:00+00:01", "before 0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59-00:01", "after 9999-12-31T23:59:59Z"),
        ("2026-01-01T00:00:00", "a time zone offset (Z, +HH:MM or -HH:MM) must follow the time"),
        ("2026-01-01T00:00:00Z ", "unexpected \" \" after the time zone offset"),
        ("2026-01-01T00:00:00Zjunk", "unexpected \"junk\" after the time zone offset"),
        ("2026-01-01T00:00:00+01:00\n", "unexpected \"\\n\" after the time zone offset"),
        ("2026-01-01T00:00:00.Z", "the fraction of a second needs digits"),
        ("2026-01-01T00:00:00+0100", "expected \":\" between the offset's hours and minutes"),
        ("2026-01-01T00:00:00+1:00", "the offset's hours must be 2 digits"),
        ("2026-01-01T00:00Z", "expected \":\" after the minute"),
        ("2026-01-01", "\"T\" must separate the date from the time"),
        ("2026-01-01_00:00:00Z", "\"T\" must separate the date from the time"),
        ("2026-1-01T00:00:00Z", "the month must be 2 digits"),
        ("26-01-01T00:00:00Z", "the year must be 4 digits"),
        ("2026/01/01T00:00:00Z", "expected \"-\" after the year"),
        ("+2026-01-01T00:00:00Z", "the year must be 4 digits"),
        ("20260101T000000Z", "expected \"-\" after the year"),
        ("２０２６-01-01T00:00:00Z", "the year must be 4 digits"),
        ("", "the year must be 4 digits"),
        ("tomorrow", "the year must be 4 digits"),
    ])
    func refusesWhatIsNotARealInstantNamingTheFieldAndWhy(_ text: String, _ reason: String) {
        #expect {
            try RFC3339Parser.parse(text)
        } throws: { error in
            let description = "\(error)"
            return description.contains(reason) && !description.contains("\n")
        }
    }
}
