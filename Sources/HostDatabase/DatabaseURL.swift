import Foundation

/// The parsed `DATABASE_URL`.
///
/// Accepted forms:
/// - `sqlite:///relative/path.db`: a path relative to the working directory at parse time,
/// - `sqlite:////absolute/path.db`: an absolute path,
/// - `mysql://user:password@host:3306/name` (also `mariadb://`): user and password percent-decoded,
///   port 3306 when omitted; query options `socket=/path`, `ssl-mode=DISABLED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY`,
///   `ssl-ca=`, `ssl-cert=`, `ssl-key=` (paths) and `charset=utf8mb4` (the only charset: it is always used).
///   Any other option is an error, so a typo never goes unnoticed.
///
/// `description` never shows the password.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Backend: Sendable, Equatable {
        /// An absolute file path.
        case sqlite(path: String)
        case mysql(MySQLEndpoint)
    }

    public let backend: Backend

    public init(backend: Backend) {
        self.backend = backend
    }

    /// Parses a `DATABASE_URL` value. Errors name `DATABASE_URL` and show the value with its
    /// password redacted. A relative sqlite path is resolved against `currentDirectory`
    /// (default: the process's working directory).
    public init(parsing text: String, currentDirectory: String? = nil) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw Self.invalid(text, "expected sqlite:///relative.db, sqlite:////absolute.db or mysql://user:pass@host:3306/name")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        let rest = String(trimmed[schemeEnd.upperBound...])
        switch scheme {
        case "sqlite", "sqlite3":
            backend = .sqlite(path: try Self.parseSQLitePath(rest, original: text, currentDirectory: currentDirectory))
        case "mysql", "mariadb":
            backend = .mysql(try Self.parseMySQL(trimmed, original: text))
        default:
            throw Self.invalid(text, "unsupported scheme '\(scheme)' (expected sqlite or mysql)")
        }
    }

    public var description: String {
        switch backend {
        case .sqlite(let path):
            return "sqlite:///" + path  // an absolute path adds the fourth slash
        case .mysql(let endpoint):
            return endpoint.description
        }
    }

    public var debugDescription: String { description }

    private static func parseSQLitePath(_ rest: String, original: String, currentDirectory: String?) throws -> String {
        guard rest.hasPrefix("/") else {
            throw invalid(original, "an sqlite URL has no host: use sqlite:///relative.db or sqlite:////absolute.db")
        }
        let encoded = String(rest.dropFirst())
        guard !encoded.contains("?"), !encoded.contains("#") else {
            throw invalid(original, "sqlite URLs take no query or fragment")
        }
        guard let path = encoded.removingPercentEncoding, !path.isEmpty else {
            throw invalid(original, "missing or badly percent-encoded file path")
        }
        guard path != ":memory:" else {
            throw invalid(original, "an in-memory database cannot be Alliance Auth's database")
        }
        if path.hasPrefix("/") { return path }
        let base = currentDirectory ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
            .standardizedFileURL.path
    }

    private static func parseMySQL(_ text: String, original: String) throws -> MySQLEndpoint {
        guard let components = URLComponents(string: text) else {
            throw invalid(original, "not a valid URL (percent-encode special characters in user and password)")
        }
        guard var host = components.host, !host.isEmpty else {
            throw invalid(original, "missing host")
        }
        if host.hasPrefix("["), host.hasSuffix("]") {  // IPv6 literal
            host = String(host.dropFirst().dropLast())
        }
        guard let user = components.user, !user.isEmpty else {
            throw invalid(original, "missing user")
        }
        let port = components.port ?? 3306
        guard (1...65535).contains(port) else {
            throw invalid(original, "port \(port) out of range")
        }
        var name = components.path
        if name.hasPrefix("/") { name.removeFirst() }
        guard !name.isEmpty, !name.contains("/") else {
            throw invalid(original, "expected exactly one database name after the host (…/name)")
        }
        var options: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard options[item.name] == nil else { throw invalid(original, "option '\(item.name)' given twice") }
            options[item.name] = item.value ?? ""
        }
        var endpoint = MySQLEndpoint(
            user: user, password: components.password.map(DatabasePassword.init), host: host, port: port,
            database: name, options: options)
        for (key, value) in options {
            switch key {
            case "socket":
                guard value.hasPrefix("/") else { throw invalid(original, "socket must be an absolute path") }
                endpoint.socket = value
            case "ssl-mode", "ssl_mode", "sslmode":
                guard let mode = MySQLTLSMode(rawValue: value.uppercased()) else {
                    throw invalid(
                        original,
                        "ssl-mode '\(value)' is not one of " + MySQLTLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                endpoint.tlsMode = mode
            case "ssl-ca", "ssl_ca":
                endpoint.sslCA = try path(value, key, original)
            case "ssl-cert", "ssl_cert":
                endpoint.sslCert = try path(value, key, original)
            case "ssl-key", "ssl_key":
                endpoint.sslKey = try path(value, key, original)
            case "charset":
                guard value.lowercased() == "utf8mb4" else {
                    throw invalid(original, "charset '\(value)': only utf8mb4 is supported (Alliance Auth's setting)")
                }
            default:
                throw invalid(
                    original, "unknown option '\(key)' (known: socket, ssl-mode, ssl-ca, ssl-cert, ssl-key, charset)")
            }
        }
        if endpoint.tlsMode == nil, endpoint.sslCA != nil || endpoint.sslCert != nil || endpoint.sslKey != nil {
            endpoint.tlsMode = endpoint.sslCA != nil ? .verifyCA : .required
        }
        if endpoint.tlsMode == .verifyCA || endpoint.tlsMode == .verifyIdentity, endpoint.sslCA == nil {
            throw invalid(original, "ssl-mode \(endpoint.tlsMode!.rawValue) needs ssl-ca=/path/to/ca.pem")
        }
        if (endpoint.sslCert == nil) != (endpoint.sslKey == nil) {
            throw invalid(original, "ssl-cert and ssl-key go together")
        }
        return endpoint
    }

    private static func path(_ value: String, _ key: String, _ original: String) throws -> String {
        guard !value.isEmpty else { throw invalid(original, "\(key) needs a file path") }
        return value
    }

    private static func invalid(_ original: String, _ reason: String) -> HostDatabaseError {
        HostDatabaseError(.invalidURL, "DATABASE_URL '\(redact(original))': \(reason)")
    }

    /// `original` with whatever sits between the user name and the host replaced by `<redacted>`.
    /// Works on strings that are not valid URLs too, for error messages.
    static func redact(_ original: String) -> String {
        guard let schemeEnd = original.range(of: "://"),
              let at = original[schemeEnd.upperBound...].range(of: "@", options: .backwards)
        else { return original }
        let credentials = original[schemeEnd.upperBound..<at.lowerBound]
        guard let colon = credentials.firstIndex(of: ":") else { return original }
        return String(original[..<original.index(after: colon)]) + "<redacted>" + String(original[at.lowerBound...])
    }
}

/// Connection details of a MySQL/MariaDB database. Prints without the password.
public struct MySQLEndpoint: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var user: String
    public var password: DatabasePassword?
    public var host: String
    public var port: Int
    public var database: String
    /// Query items of the URL, as given.
    public var options: [String: String]
    /// `socket=`: a unix socket path used instead of TCP.
    public var socket: String?
    /// `ssl-mode=`; nil: DISABLED, unless `ssl-ca`/`ssl-cert` are given (then VERIFY_CA / REQUIRED).
    public var tlsMode: MySQLTLSMode?
    public var sslCA: String?
    public var sslCert: String?
    public var sslKey: String?

    public init(
        user: String, password: DatabasePassword?, host: String, port: Int = 3306, database: String,
        options: [String: String] = [:]
    ) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.options = options
    }

    public var description: String {
        let credentials = user + (password == nil ? "" : ":<redacted>")
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "mysql://\(credentials)@\(hostPart):\(port)/\(database)"
            + (socket.map { "?socket=\($0)" } ?? "")
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// TLS use of a MySQL/MariaDB connection, named as MySQL's `--ssl-mode`.
public enum MySQLTLSMode: String, Sendable, Equatable, CaseIterable {
    case disabled = "DISABLED"
    case required = "REQUIRED"
    case verifyCA = "VERIFY_CA"
    case verifyIdentity = "VERIFY_IDENTITY"
}

/// A database password: use `value` to connect; printing shows `<redacted>`.
public struct DatabasePassword: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
