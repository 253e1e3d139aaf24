// Minimal JSON for the sandbox: a parsed input value (`JSONValue`) and an ordered output tree
// (`JSONNode`) with a fast serializer. Output keys keep their insertion order so responses are
// deterministic and look like Discord's.

import Foundation
import PythonCompat

/// A parsed JSON document (request bodies, seed files).
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `bytes` as JSON; nil when it is not valid JSON.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let dictionary) = self { return dictionary[key] }
        return nil
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsigned(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    var intValue: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .unsigned(let value): Int(exactly: value)
        case .double(let value): Int(exactly: value)
        default: nil
        }
    }

    /// A snowflake given as a decimal string (Discord's form) or as a JSON number (what Alliance Auth sends).
    var snowflake: UInt64? {
        switch self {
        case .string(let text): Snowflake.parse(text)
        case .integer(let value): value >= 0 ? UInt64(value) : nil
        case .unsigned(let value): value
        default: nil
        }
    }
}

extension JSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(UInt64.self) {
            self = .unsigned(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}

/// An output JSON tree with ordered object keys.
enum JSONNode: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case uint(UInt64)
    /// A number already formatted (e.g. `0.250`).
    case rawNumber(String)
    case string(String)
    case array([JSONNode])
    case object([(String, JSONNode)])

    static func snowflake(_ id: UInt64) -> JSONNode { .string(String(id)) }

    static func optionalString(_ value: String?) -> JSONNode {
        value.map { .string($0) } ?? .null
    }

    /// UTF-8 bytes of the compact serialization.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        Self.write(self, into: &out)
        return out
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    private static func write(_ node: JSONNode, into out: inout [UInt8]) {
        switch node {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .uint(let value): out.append(contentsOf: String(value).utf8)
        case .rawNumber(let value): out.append(contentsOf: value.utf8)
        case .string(let value): writeString(value, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            out.append(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(pair.0, into: &out)
                out.append(UInt8(ascii: ":"))
                write(pair.1, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ value: String, into out: inout [UInt8]) {
        appendJSONString(value, style: .compact, to: &out)
    }
}

/// Snowflake helpers: ids are `UInt64` inside, decimal strings on the wire.
enum Snowflake {
    /// Discord's epoch (2015-01-01T00:00:00Z) in milliseconds since the Unix epoch.
    static let discordEpochMilliseconds: UInt64 = 1_420_070_400_000

    /// Parses a decimal snowflake of 1...20 digits; nil for anything else.
    static func parse<S: StringProtocol>(_ text: S) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 20, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt64(text)
    }

    /// A snowflake for the given Unix time in milliseconds and a sequence number.
    static func make(unixMilliseconds: UInt64, sequence: UInt64) -> UInt64 {
        let since = unixMilliseconds > discordEpochMilliseconds ? unixMilliseconds - discordEpochMilliseconds : 0
        return (since << 22) | (sequence & 0x3F_FFFF)
    }
}

/// Formats seconds with exactly three decimals, rounding up to the next millisecond
/// (so a client that waits that long is never early). Negative values print as 0.000.
func formatSeconds3(_ seconds: Double) -> String {
    // The epsilon keeps binary noise (0.3 s → 300.00000000000006 ms) from adding a millisecond.
    let milliseconds = seconds <= 0 ? 0 : Int64((seconds * 1000 - 1e-6).rounded(.up))
    let whole = milliseconds / 1000
    let fraction = milliseconds % 1000
    let padded = fraction < 10 ? "00\(fraction)" : (fraction < 100 ? "0\(fraction)" : "\(fraction)")
    return "\(whole).\(padded)"
}

/// ISO-8601 timestamp with microseconds and +00:00, the form Discord uses for `joined_at`.
func discordTimestamp(unixSeconds: Double) -> String {
    let whole = floor(unixSeconds)
    let micros = Int(((unixSeconds - whole) * 1_000_000).rounded(.down))
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let parts = calendar.dateComponents(
        [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
    func pad(_ value: Int?, _ width: Int) -> String {
        let text = String(value ?? 0)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T"
        + "\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2)).\(pad(micros, 6))+00:00"
}
