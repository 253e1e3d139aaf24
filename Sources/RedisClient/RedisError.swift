/// An error of the Redis layer: what went wrong and on which connection. Never carries a password.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Could not connect, or the connection broke (I/O error, EOF, timeout). Retrying after a reconnect may work.
        case connection
        /// The server answered with an error reply (`ERR …`, `WRONGTYPE …`, `NOSCRIPT …`).
        case server
        /// A reply of an unexpected shape.
        case protocolViolation
        /// The URL was not a valid Redis URL.
        case invalidURL
        /// The client was closed.
        case closed
    }

    public var code: Code
    public var message: String
    /// The client's name (e.g. "broker", "ratelimit") and the endpoint without credentials.
    public var connection: String

    public init(_ code: Code, _ message: String, connection: String = "") {
        self.code = code
        self.message = message
        self.connection = connection
    }

    /// True when the failure is about the connection rather than the command.
    public var isConnectionError: Bool { code == .connection || code == .closed }

    /// A server error that persists until an operator acts: authentication/permissions (wrong password or
    /// ACL), a read-only replica, a full or failing server, a database number the server does not have.
    public var refusesThisClient: Bool {
        guard code == .server else { return false }
        let prefixes = ["NOAUTH", "WRONGPASS", "NOPERM", "READONLY", "MISCONF", "OOM", "LOADING", "ERR invalid password",
                        "ERR DB index is out of range", "ERR AUTH"]
        return prefixes.contains { message.hasPrefix($0) }
    }

    public var description: String {
        connection.isEmpty ? "redis: \(message)" : "redis (\(connection)): \(message)"
    }
}
