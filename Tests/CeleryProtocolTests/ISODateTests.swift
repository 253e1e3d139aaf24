import Foundation
import Testing
@testable import CeleryProtocol

@Suite struct ISODateTests {
    @Test func parsesWhatPythonAccepts() throws {
        let cases: [(String, String)] = [
            ("2026-11-25T17:14:31.047076+00:00", "2026-11-25T17:14:31.047076+00:00"),
            ("2026-11-25T17:14:31+00:00", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T17:14:31Z", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T17:14:31z", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T17:14:31", "2026-11-25T17:14:31+00:00"),  // naive = UTC
            ("2026-11-25T18:14:31+01:00", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T12:14:31-0500", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T19:14:31+02", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25 17:14:31.5", "2026-11-25T17:14:31.500000+00:00"),
            ("2026-11-25T17:14:31,25Z", "2026-11-25T17:14:31.250000+00:00"),
            ("2026-11-25T17:14:31.1234567+00:00", "2026-11-25T17:14:31.123456+00:00"),
            ("2026-11-25T17:14", "2026-11-25T17:14:00+00:00"),
            ("2026-11-25T1714", "2026-11-25T17:14:00+00:00"),
            ("20261125T171431", "2026-11-25T17:14:31+00:00"),
            ("2026-11-25T17", "2026-11-25T17:00:00+00:00"),
            ("2026-11-25", "2026-11-25T00:00:00+00:00"),
            ("2026-11", "2026-11-01T00:00:00+00:00"),
            ("2026", "2026-01-01T00:00:00+00:00"),
            ("2026-11-25T24:00:00", "2026-11-26T00:00:00+00:00"),
            ("2024-02-29T00:00:00+00:00", "2024-02-29T00:00:00+00:00"),
            ("2030-01-01T00:00:00", "2030-01-01T00:00:00+00:00"),
            ("1970-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00"),
            ("1969-12-31T23:59:59.999999+00:00", "1969-12-31T23:59:59.999999+00:00"),
        ]
        for (input, formatted) in cases {
            let micros = try #require(ISODate.parseMicroseconds(input), "\(input)")
            #expect(ISODate.format(microseconds: micros) == formatted, "\(input)")
            let date = try #require(ISODate.parse(input))
            #expect(ISODate.format(date) == formatted, "\(input) via Date")
        }
    }

    @Test func rejectsWhatPythonRejects() {
        let invalid = [
            "tomorrow", "", "2026-13-01", "2026-02-30", "2023-02-29", "2026-11-25T25:00:00", "2026-11-25T17:60:00",
            "2026-11-25T17:14:31+24:00", "2026-11-25T17:14:31+0", "2026-11-25T17:14:31 UTC", "2026/11/25",
            "26-11-25", "2026-11-25T17:14:31.", "2026-11-25T17:1431", "202611", "2026-11-25T24:00:01",
            "2026-11-25T17:14:31Zjunk",
        ]
        for text in invalid {
            #expect(ISODate.parseMicroseconds(text) == nil, "\(text)")
        }
    }

    @Test func formatIsPythonIsoformat() {
        #expect(ISODate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00+00:00")
        #expect(ISODate.format(Date(timeIntervalSince1970: 1_795_626_871.047076)) == "2026-11-25T17:14:31.047076+00:00")
        #expect(ISODate.format(Date(timeIntervalSince1970: 1_795_626_871.5)) == "2026-11-25T17:14:31.500000+00:00")
        #expect(ISODate.format(Date(timeIntervalSince1970: 4_102_444_800)) == "2100-01-01T00:00:00+00:00")
    }

    @Test func microsecondsRoundTripThroughDate() throws {
        for text in ["2026-11-25T17:14:31.047076+00:00", "2026-11-25T17:19:01.051356+00:00", "2026-11-25T17:20:17.715016+00:00"] {
            let date = try #require(ISODate.parse(text))
            #expect(ISODate.format(date) == text)
            #expect(ISODate.date(microseconds: ISODate.microseconds(of: date)) == date)
        }
    }

    @Test func millisecondTimestampsMatchFoundationsFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for seconds in [0, 1_764_091_213.173, 951_782_400.999, 4_102_444_799.5, -86_400.25] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(ISODate.formatMilliseconds(date) == formatter.string(from: date), "\(seconds)")
        }
        #expect(ISODate.formatMilliseconds(Date(timeIntervalSince1970: 1_764_091_213.173)) == "2025-11-25T17:20:13.173Z")
        #expect(ISODate.parse(ISODate.formatMilliseconds(Date(timeIntervalSince1970: 1_764_091_213.173))) != nil)
    }
}
