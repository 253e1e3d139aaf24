/// A value sent to or read from MariaDB. Integer columns arrive as `.int`, floating point as
/// `.double`, everything else (text, decimal, datetime as `YYYY-MM-DD HH:MM:SS[.ffffff]`) as `.text`.
public enum MariaDBValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var int64: Int64? {
        switch self {
        case .int(let value): return value
        case .text(let text): return Int64(text)
        default: return nil
        }
    }

    public var string: String? {
        switch self {
        case .text(let text): return text
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .null: return nil
        }
    }

    public var isNull: Bool { self == .null }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .text(let text): return "'\(text)'"
        }
    }
}

extension MariaDBValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(stringLiteral value: String) { self = .text(value) }
}

extension Optional where Wrapped == Int64 {
    /// `.int` or `.null`.
    public var mariaDBValue: MariaDBValue { map(MariaDBValue.int) ?? .null }
}

extension Optional where Wrapped == String {
    /// `.text` or `.null`.
    public var mariaDBValue: MariaDBValue { map(MariaDBValue.text) ?? .null }
}

/// What a statement returned: its rows (empty for statements without a result set), the affected
/// row count (matched rows for UPDATE: the connection sets CLIENT_FOUND_ROWS as Django does) and
/// the last AUTO_INCREMENT id.
public struct MariaDBResult: Sendable {
    public var rows: [[MariaDBValue]]
    public var affectedRows: UInt64
    public var insertID: UInt64
}
