import Foundation
import Testing
@testable import BSON
@testable import QueueSQLite

/// The SQLite store keeps dates as milliseconds since 1970, as BSON does.
@Suite("SQLite values")
struct SQLiteValuesTests {
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range MongoDB accepts in dates.
    static let yearOne: Int64 = -62_135_596_800_000
    static let year9999: Int64 = 253_402_300_799_999

    @Test func sqliteAndBSONConvertDatesAlike() {
        for milliseconds: Int64 in [0, -1, Self.yearOne, Self.year9999, .max, .min] {
            #expect(SQLiteValues.date(milliseconds) == Date(millisecondsSince1970: milliseconds))
            let date = SQLiteValues.date(milliseconds)
            #expect(SQLiteValues.milliseconds(date) == BSONWriter.milliseconds(date))
        }
    }
}
