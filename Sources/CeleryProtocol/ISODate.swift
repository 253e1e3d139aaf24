public import Foundation
import PythonCompat

/// ISO-8601 dates the way Celery reads and writes them.
///
/// Reading follows `dateutil.parser.isoparse` (what Celery's worker uses for `eta`/`expires`) for the forms
/// that occur in practice: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYYMMDD`, the last two optionally followed by any single separator
/// character and `hh`, `hh:mm`/`hhmm`, `hh:mm:ss`/`hhmmss`, a fraction after `.` or `,` (digits beyond
/// microseconds are truncated), and a zone `Z`, `±hh`, `±hhmm` or `±hh:mm`. Naive times are UTC, as
/// Celery treats them. `24:00` is midnight of the next day. ISO week and ordinal dates are not accepted.
///
/// Writing is Python's `datetime.isoformat()` of an aware UTC datetime: `2026-11-25T17:14:31.047076+00:00`,
/// the fraction omitted when the microseconds are zero.
public enum ISODate {
    /// Microseconds since 1970-01-01T00:00:00Z, or `nil` when `text` is not an ISO-8601 date Celery accepts.
    public static func parseMicroseconds(_ text: String) -> Int64? {
        var parser = DateScanner(Array(text.utf8))
        return parser.parse()
    }

    /// The instant `text` names, or `nil` when it is not an ISO-8601 date Celery accepts.
    public static func parse(_ text: String) -> Date? {
        guard let micros = parseMicroseconds(text) else { return nil }
        return date(microseconds: micros)
    }

    /// Python's `isoformat()` in UTC with `+00:00`, rounded to the microsecond.
    public static func format(_ date: Date) -> String {
        format(microseconds: microseconds(of: date))
    }

    /// Python's `isoformat()` in UTC of an instant given in microseconds since the Unix epoch.
    public static func format(microseconds: Int64) -> String {
        let (seconds, fraction) = CivilCalendar.floorDivide(microseconds, 1_000_000)
        let text = CivilCalendar.dateTimeText(seconds: seconds, separator: "T")
        return fraction == 0 ? text + "+00:00" : text + "." + CivilCalendar.zeroPadded(fraction, 6) + "+00:00"
    }

    /// UTC with milliseconds and `Z`, e.g. `2026-11-25T17:20:13.173Z` (timestamps of dead letters and
    /// workers). Plain arithmetic: Foundation's ISO8601DateFormatter pulls ICU data in (megabytes resident).
    public static func formatMilliseconds(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (seconds, fraction) = CivilCalendar.floorDivide(milliseconds, 1000)
        return CivilCalendar.dateTimeText(seconds: seconds, separator: "T") + "." + CivilCalendar.zeroPadded(fraction, 3) + "Z"
    }

    /// The instant rounded to whole microseconds since the Unix epoch.
    public static func microseconds(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The `Date` for microseconds since the Unix epoch.
    public static func date(microseconds: Int64) -> Date {
        let (seconds, micros) = CivilCalendar.floorDivide(microseconds, 1_000_000)
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // MARK: Parsing

    private struct DateScanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        mutating func digits(_ count: Int) -> Int64? {
            guard position + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[position + offset]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int64(byte - 0x30)
            }
            position += count
            return value
        }

        func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

        mutating func parse() -> Int64? {
            // Date: YYYY-MM-DD or YYYYMMDD.
            guard let year = digits(4), year >= 1 else { return nil }
            if position == bytes.count { return CivilCalendar.days(fromCivil: year, 1, 1) * 86_400_000_000 }
            let dashed = peek() == UInt8(ascii: "-")
            if dashed { position += 1 }
            guard let month = digits(2), (1...12).contains(month) else { return nil }
            if position == bytes.count {
                return dashed ? CivilCalendar.days(fromCivil: year, month, 1) * 86_400_000_000 : nil
            }
            if dashed {
                guard peek() == UInt8(ascii: "-") else { return nil }
                position += 1
            }
            guard let day = digits(2), day >= 1, day <= CivilCalendar.daysInMonth(year, month) else { return nil }
            var micros = CivilCalendar.days(fromCivil: year, month, day) * 86_400_000_000
            guard position < bytes.count else { return micros }
            position += 1  // any single separator character, as dateutil allows
            guard let time = parseTime() else { return nil }
            micros += time
            return micros
        }

        /// Microseconds from midnight of the date, minus the zone offset.
        mutating func parseTime() -> Int64? {
            guard let hour = digits(2) else { return nil }
            var minute: Int64 = 0
            var second: Int64 = 0
            var fraction: Int64 = 0
            var colons: Bool?
            func atZone(_ byte: UInt8?) -> Bool {
                byte == nil || byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "-")
            }
            if !atZone(peek()) {
                if peek() == UInt8(ascii: ":") {
                    colons = true
                    position += 1
                } else {
                    colons = false
                }
                guard let value = digits(2) else { return nil }
                minute = value
                if !atZone(peek()) {
                    if colons == true {
                        guard peek() == UInt8(ascii: ":") else { return nil }
                        position += 1
                    }
                    guard let value = digits(2) else { return nil }
                    second = value
                    if let mark = peek(), mark == UInt8(ascii: ".") || mark == UInt8(ascii: ",") {
                        position += 1
                        var count = 0
                        while let byte = peek(), byte >= 0x30 && byte <= 0x39 {
                            if count < 6 { fraction = fraction * 10 + Int64(byte - 0x30) }
                            count += 1
                            position += 1
                        }
                        guard count > 0 else { return nil }
                        for _ in min(count, 6)..<6 { fraction *= 10 }
                    }
                }
            }
            guard minute < 60, second < 60 else { return nil }
            if hour == 24 {
                guard minute == 0, second == 0, fraction == 0 else { return nil }
            } else if hour > 23 {
                return nil
            }
            var micros = ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
            guard let offset = parseZone() else { return nil }
            micros -= offset * 60_000_000
            return micros
        }

        /// Zone offset in minutes east of UTC (0 when naive).
        mutating func parseZone() -> Int64? {
            guard let sign = peek() else { return 0 }
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                position += 1
                return position == bytes.count ? 0 : nil
            }
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
            position += 1
            guard let hours = digits(2) else { return nil }
            var minutes: Int64 = 0
            if position < bytes.count {
                if peek() == UInt8(ascii: ":") { position += 1 }
                guard let value = digits(2) else { return nil }
                minutes = value
            }
            guard position == bytes.count, hours <= 23, minutes <= 59 else { return nil }
            let total = hours * 60 + minutes
            return sign == UInt8(ascii: "-") ? -total : total
        }
    }
}
