/// The one error type of the host database layer: what went wrong (`code`) and where (`context`).
///
/// Messages never contain a database password: URL errors show the URL redacted, and SQL errors
/// carry GRDB's description, which names the statement but not its arguments.
public struct HostDatabaseError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// `DATABASE_URL` could not be parsed or names an unsupported form.
        case invalidURL
        /// The URL is valid but its backend is not available in this build (MySQL/MariaDB for now).
        case unsupportedBackend
        /// No database file exists at the configured path.
        case databaseNotFound
        /// SQLite could not open the file, or it is not an SQLite database.
        case openFailed
        /// The database lacks a table Alliance Auth's schema has (wrong file, or migrations not run).
        case schemaMismatch
        /// The database was locked by another process for longer than the busy timeout. Transient.
        case busy
        /// A statement failed.
        case queryFailed
        /// A row holds a value the schema does not allow (e.g. NULL in a NOT NULL column).
        case unexpectedValue
        /// The database server cannot be reached or the connection broke (restart, failover,
        /// network). Transient: tasks wait, uncounted, as for a Redis outage.
        case unavailable
        /// The server refused the account: wrong user/password, or missing privileges.
        case accessDenied
    }

    public let code: Code
    /// What was being done, with identifiers: `"syncProfile user_pk=5"`, `"DATABASE_URL"`.
    public let context: String
    /// The underlying error's description, when there is one.
    public let underlying: String?

    public init(_ code: Code, _ context: String, underlying: String? = nil) {
        self.code = code
        self.context = context
        self.underlying = underlying
    }

    /// True for failures worth retrying later (another process held the database lock, the
    /// database server is unreachable).
    public var isTransient: Bool { code == .busy || code == .unavailable }

    public var description: String {
        var text = "HostDatabaseError.\(code.rawValue): \(context)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
