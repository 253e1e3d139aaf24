/// One binary-safe command argument. Commands are always sent with `redisCommandArgv` and explicit
/// lengths: nothing is formatted into a command string, so nothing can be injected.
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public var bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(bytes: [UInt8]) { self.bytes = bytes }
    public init<I: BinaryInteger>(_ value: I) { bytes = Array(String(value).utf8) }
    /// A float argument in a form Redis accepts (`ZADD`, `INCRBYFLOAT`, script arguments).
    public init(_ value: Double) { bytes = Array(String(value).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
}
