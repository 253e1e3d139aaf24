/// An error from MariaDB Connector/C or the server: the error number (server 1000–1999 and
/// 3000+, client 2000–2999), the SQLSTATE and the message. Messages never contain a password:
/// the connector's messages name the user and host only.
public struct MariaDBError: Error, Sendable, CustomStringConvertible {
    /// What the caller can do about it.
    public enum Kind: Sendable, Equatable {
        /// The connection is unusable (server gone, lost, killed, unreachable, shutting down): reconnect.
        case connectionLost
        /// The transaction was rolled back by the server (deadlock, lock wait timeout, too many
        /// connections): try again later on the same or another connection.
        case transient
        /// Retrying will not help (access denied, unknown database or table, syntax, constraint).
        case permanent
    }

    /// Where it happened.
    public enum Phase: String, Sendable {
        case connect, prepare, execute, fetch, commit
    }

    public let number: UInt32
    public let sqlState: String
    public let message: String
    public let phase: Phase

    public init(number: UInt32, sqlState: String, message: String, phase: Phase) {
        self.number = number
        self.sqlState = sqlState
        self.message = message
        self.phase = phase
    }

    public var kind: Kind { Self.kind(of: number, phase: phase) }

    public var description: String {
        "MariaDB error \(number) (\(sqlState)) during \(phase.rawValue): \(message)"
    }

    /// Client 2002 can't connect (socket), 2003 can't connect (TCP), 2005 unknown host, 2006 server
    /// has gone away, 2013 lost connection, 2055 lost connection (extended), 2026 TLS error at connect;
    /// server 1040 too many connections, 1053 server shutdown, 1927 connection killed, 4031
    /// disconnected for inactivity (wait_timeout); 1205 lock wait timeout, 1213 deadlock.
    public static func kind(of number: UInt32, phase: Phase) -> Kind {
        switch number {
        case 2002, 2003, 2005, 2006, 2013, 2055, 1053, 1927, 4031, 1152, 1184:
            return .connectionLost
        case 2026:
            return phase == .connect ? .permanent : .connectionLost
        case 1040, 1205, 1213, 1614:
            return .transient
        default:
            return .permanent
        }
    }
}
