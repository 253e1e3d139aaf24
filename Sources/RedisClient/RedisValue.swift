/// A Redis (RESP2) reply, deep-copied out of hiredis so it can cross isolation domains.
///
/// A server error reply is a value (`.error`), not a thrown error: pipelines and Lua scripts can return
/// them nested in arrays. ``RedisClient/command(_:)`` turns a top-level error into a thrown ``RedisError``.
public enum RedisValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case bulk([UInt8])
    case status(String)
    case error(String)
    case array([RedisValue])

    /// The value as text: bulk strings (UTF-8), status replies and integers.
    public var string: String? {
        switch self {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .status(let s): return s
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    /// The raw bytes of a bulk or status reply.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): return bytes
        case .status(let s): return Array(s.utf8)
        default: return nil
        }
    }

    /// Integer replies, and bulk strings holding a decimal integer (as GET of a counter returns).
    public var int: Int64? {
        switch self {
        case .integer(let i): return i
        case .bulk(let bytes): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    public var array: [RedisValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The error text when this is an error reply.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }
}
