/// How to reach a MariaDB/MySQL server. Every connection uses `utf8mb4`, session
/// `time_zone = '+00:00'` (Django stores UTC), REPEATABLE READ and `CLIENT_FOUND_ROWS` (an UPDATE
/// reports the rows it matched, as Django's MySQL backend configures it).
public struct MariaDBConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// TLS use, named as MySQL's `--ssl-mode`.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// No TLS.
        case disabled = "DISABLED"
        /// TLS required; the server certificate is not verified.
        case required = "REQUIRED"
        /// TLS required; the server certificate is verified against `ssl-ca` (Connector/C 3.3 also
        /// checks the host name here: it has one switch for both).
        case verifyCA = "VERIFY_CA"
        /// TLS required; certificate and host name verified.
        case verifyIdentity = "VERIFY_IDENTITY"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// A unix socket path; when set, the connection uses it instead of TCP.
    public var socket: String?
    public var tlsMode: TLSMode
    public var sslCA: String?
    public var sslCert: String?
    public var sslKey: String?
    public var connectTimeoutSeconds: Int
    /// Read/write timeout of one network operation.
    public var ioTimeoutSeconds: Int

    public init(
        host: String, port: Int = 3306, user: String, password: String?, database: String, socket: String? = nil,
        tlsMode: TLSMode = .disabled, sslCA: String? = nil, sslCert: String? = nil, sslKey: String? = nil,
        connectTimeoutSeconds: Int = 5, ioTimeoutSeconds: Int = 30
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socket = socket
        self.tlsMode = tlsMode
        self.sslCA = sslCA
        self.sslCert = sslCert
        self.sslKey = sslKey
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.ioTimeoutSeconds = ioTimeoutSeconds
    }

    /// Without the password.
    public var description: String {
        let place = socket.map { "unix:\($0)" } ?? "\(host):\(port)"
        return "\(user)@\(place)/\(database)"
    }
}
