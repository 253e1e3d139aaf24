/// A Discord id: a 64-bit unsigned integer, a JSON string on the wire. Decoding also accepts a JSON
/// number (ids that are not bigint-sized may come back as numbers).
public struct Snowflake: Sendable, Hashable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, LosslessStringConvertible
{
    public let rawValue: UInt64

    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: UInt64) {
        self.rawValue = value
    }

    /// Decimal digits only (no sign, no spaces), within UInt64.
    public init?(_ description: String) {
        guard !description.isEmpty, description.utf8.count <= 20,
            description.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let value = UInt64(description)
        else { return nil }
        self.rawValue = value
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: Snowflake, rhs: Snowflake) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Snowflake(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "snowflake '\(text.prefix(32))' is not a decimal UInt64")
            }
            self = value
        } else if let number = try? container.decode(UInt64.self) {
            self.rawValue = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "snowflake is neither a string nor an unsigned integer")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
