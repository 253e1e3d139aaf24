/// A Lua script, sent with `EVALSHA` after it is loaded once per connection (reloaded on `NOSCRIPT`).
public struct RedisScript: Sendable, Hashable {
    public let source: String
    public init(_ source: String) { self.source = source }
}
