public import Foundation
import PythonCompat

/// Datetimes as Django stores them in SQLite with `USE_TZ = True`: naive UTC text
/// `YYYY-MM-DD HH:MM:SS.ffffff`, the fraction omitted when the microseconds are 0
/// (MariaDB's `datetime(6)` holds the same naive UTC). Pure arithmetic (`CivilCalendar`), no `Calendar`.
public enum DjangoDateTime {
    /// `date` rounded to the microsecond, in Django's text form.
    public static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let (seconds, micro) = CivilCalendar.floorDivide(micros, 1_000_000)
        let text = CivilCalendar.dateTimeText(seconds: seconds, separator: " ")
        return micro == 0 ? text : text + "." + CivilCalendar.zeroPadded(micro, 6)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.f…]` (also with `T`, and a trailing `Z` or `+00:00`), as UTC.
    /// Returns nil for anything else, including offsets other than UTC.
    public static func parse(_ text: String) -> Date? {
        var bytes = Array(text.utf8)
        if bytes.last == UInt8(ascii: "Z") {
            bytes.removeLast()
        } else if bytes.count > 6, Array(bytes.suffix(6)) == Array("+00:00".utf8) {
            bytes.removeLast(6)
        }
        guard bytes.count >= 19,
              bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(bytes, 0..<4), let month = number(bytes, 5..<7), let day = number(bytes, 8..<10),
              let hour = number(bytes, 11..<13), let minute = number(bytes, 14..<16),
              let second = number(bytes, 17..<19),
              (1...12).contains(month), (1...CivilCalendar.daysInMonth(year, month)).contains(day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var micro: Int64 = 0
        if bytes.count > 19 {
            // As Django's parse_datetime: up to six fraction digits count, further ones are cut off.
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 20,
                  bytes[20...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let fraction = number(bytes, 20..<min(bytes.count, 26))
            else { return nil }
            micro = fraction
            for _ in min(bytes.count, 26)..<26 { micro *= 10 }
        }
        let days = CivilCalendar.days(fromCivil: year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + Double(micro) / 1_000_000)
    }

    private static func number(_ bytes: [UInt8], _ range: Range<Int>) -> Int64? {
        var value: Int64 = 0
        for byte in bytes[range] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
