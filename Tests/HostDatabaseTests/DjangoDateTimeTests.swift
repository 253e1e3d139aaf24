import Foundation
import HostDatabase
import HostDatabaseSQLite
import Testing

@Suite struct DjangoDateTimeTests {
    @Test func formatsLikeDjangoWithMicroseconds() {
        #expect(DjangoDateTime.format(tracedTimestamp) == "2026-11-25 17:20:13.173821")
    }

    @Test func omitsTheFractionWhenMicrosecondsAreZero() {
        #expect(DjangoDateTime.format(Date(timeIntervalSince1970: 1_795_627_213)) == "2026-11-25 17:20:13")
        #expect(DjangoDateTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00")
    }

    @Test func padsSmallFractionsAndRoundsToTheMicrosecond() {
        #expect(DjangoDateTime.format(Date(timeIntervalSince1970: 1_709_164_800.000001)) == "2024-02-29 00:00:00.000001")
        #expect(DjangoDateTime.format(Date(timeIntervalSince1970: 59.9999996)) == "1970-01-01 00:01:00")
    }

    @Test func handlesDatesBefore1970() {
        #expect(DjangoDateTime.format(Date(timeIntervalSince1970: -1.5)) == "1969-12-31 23:59:58.500000")
    }

    @Test(arguments: [
        ("2026-11-25 17:20:13.173821", 1_795_627_213.173821),
        ("2026-11-25 17:20:13", 1_795_627_213.0),
        ("2026-11-25T17:20:13.5", 1_795_627_213.5),
        ("2026-11-25 17:20:13.123", 1_795_627_213.123),
        ("2026-11-25 17:20:13.1738219", 1_795_627_213.173821),
        ("2026-11-25 17:20:13Z", 1_795_627_213.0),
        ("2026-11-25 17:20:13.173821+00:00", 1_795_627_213.173821),
        ("2024-02-29 00:00:00", 1_709_164_800.0),
    ])
    func parsesDjangoForms(text: String, seconds: Double) throws {
        let date = try #require(DjangoDateTime.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_000_5)
    }

    @Test(arguments: [
        "", "garbage", "2026-11-25", "2026-13-01 00:00:00", "2023-02-29 00:00:00", "2026-11-25 24:00:00",
        "2026-11-25 17:20:13.", "2026-11-25 17:20:13.12a", "2026-11-25 17:20:13+02:00", "2026/11/25 17:20:13",
    ])
    func rejectsOtherText(text: String) {
        #expect(DjangoDateTime.parse(text) == nil)
    }

    @Test func roundTripsOverCenturies() throws {
        var seconds = -2_208_988_800.0  // 1900-01-01
        while seconds < 4_102_444_800 {  // 2100-01-01
            let date = Date(timeIntervalSince1970: seconds)
            let parsed = try #require(DjangoDateTime.parse(DjangoDateTime.format(date)))
            // Date is a Double: far from 1970 its resolution is a few tenths of a microsecond.
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.000_002)
            seconds += 86_400 * 37.3 + 0.654321
        }
    }
}
