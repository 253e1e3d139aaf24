public import Foundation
public import HostDatabase
public import Logging
import MariaDBClient

/// `HostDatabase` on Alliance Auth's MariaDB/MySQL database, through `MariaDBClient`'s pool.
///
/// Behaves exactly as `SQLiteHostDatabase` (one contract test suite runs against both). Per
/// backend:
/// - Every read is one `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` at REPEATABLE
///   READ: the bulk reads (users, then groups) see one snapshot while AA's web process writes.
/// - Datetimes are Django's `datetime(6)` columns in UTC (the session's `time_zone` is `+00:00`).
/// - Writes are transactions. The pool retries them after a lost connection when safe (see
///   `MariaDBPool`); `updateDiscordUsername`, `deleteDiscordLink` and `upsertDiscordLink` are
///   idempotent, `addNotification` is not (its COMMIT is not repeated when its outcome is unknown).
/// - A server that cannot be reached gives `HostDatabaseError.unavailable` (transient: the task
///   waits uncounted); access, unknown database and missing tables give one-line errors that name
///   `DATABASE_URL` (password redacted) and say what to do.
public final class MariaDBHostDatabase: HostDatabase {
    private let pool: MariaDBPool
    private let logger: Logger
    /// The URL as printed in errors (password redacted).
    public let endpoint: MySQLEndpoint

    /// Tables the Discord tasks read or write (AA 5.5's schema: Fixtures/allianceauth/schema_mysql.sql); checked at open.
    static let requiredTables = [
        "auth_user", "auth_group", "auth_user_groups", "authentication_userprofile", "authentication_state",
        "discord_discorduser", "eveonline_evecharacter", "groupmanagement_reservedgroupname",
        "services_nameformatconfig", "services_nameformatconfig_states", "notifications_notification",
    ]

    /// `DISCORD_WORKER_DB_POOL`'s default.
    public static let defaultPoolSize = 4

    /// Connects once (so a wrong URL, password, database or schema fails at start-up, not in the
    /// first task) and checks that AA's tables exist.
    public static func open(
        _ endpoint: MySQLEndpoint, poolSize: Int = defaultPoolSize, logger: Logger = Logger(label: "HostDatabase")
    ) async throws -> MariaDBHostDatabase {
        let database = MariaDBHostDatabase(endpoint: endpoint, poolSize: poolSize, logger: logger)
        do {
            try await database.checkSchema()
        } catch {
            await database.close()
            throw error
        }
        return database
    }

    init(endpoint: MySQLEndpoint, poolSize: Int, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
        let tlsMode: MariaDBConfiguration.TLSMode
        switch endpoint.tlsMode ?? .disabled {
        case .disabled: tlsMode = .disabled
        case .required: tlsMode = .required
        case .verifyCA: tlsMode = .verifyCA
        case .verifyIdentity: tlsMode = .verifyIdentity
        }
        let configuration = MariaDBConfiguration(
            host: endpoint.host, port: endpoint.port, user: endpoint.user, password: endpoint.password?.value,
            database: endpoint.database, socket: endpoint.socket, tlsMode: tlsMode, sslCA: endpoint.sslCA,
            sslCert: endpoint.sslCert, sslKey: endpoint.sslKey)
        pool = MariaDBPool(configuration: configuration, size: poolSize, logger: logger)
    }

    private func checkSchema() async throws {
        let present = try await read("checking Alliance Auth's tables") { session in
            Set(try session.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
            ).compactMap { $0.first?.string })
        }
        let missing = Self.requiredTables.filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw HostDatabaseError(
                .schemaMismatch,
                "DATABASE_URL \(endpoint): database '\(endpoint.database)' lacks Alliance Auth's tables "
                    + missing.joined(separator: ", ")
                    + " (run Alliance Auth's migrations: python manage.py migrate; or grant this user SELECT on them)")
        }
        logger.debug("opened host database", metadata: ["url": "\(endpoint)", "pool": "\(pool.size)"])
    }

    public func close() async {
        await pool.close()
    }

    // MARK: - Server facts (for `check`)

    /// `SELECT VERSION()`.
    public func serverVersion() async throws -> String {
        try await read("server version") { session in session.serverVersion }
    }

    /// The names of the applied migrations of a Django app (`django_migrations`), in order.
    public func appliedMigrations(app: String) async throws -> [String] {
        try await read("django_migrations app=\(app)") { session in
            try session.query("SELECT name FROM django_migrations WHERE app = ? ORDER BY id", [.text(app)])
                .compactMap { $0.first?.string }
        }
    }

    /// `COUNT(*)` of `discord_discorduser`.
    public func linkedUserCount() async throws -> Int {
        try await read("count linked users") { session in
            Int(try session.query("SELECT COUNT(*) FROM discord_discorduser").first?.first?.int64 ?? 0)
        }
    }

    // MARK: - Reads

    public func ping() async throws {
        do {
            try await pool.ping()
        } catch {
            throw map(error, "ping")
        }
    }

    public func user(pk: Int64) async throws -> AAUser? {
        try await read("user user_pk=\(pk)") { session in
            try session.query("SELECT id, username FROM auth_user WHERE id = ?", [.int(pk)]).first.map { row in
                let reader = MariaDBRowReader(row: row, table: "auth_user")
                return AAUser(id: try reader.requiredInt64(0, "id"), username: try reader.requiredString(1, "username"))
            }
        }
    }

    public func discordLink(userPK: Int64) async throws -> DiscordLink? {
        try await read("discordLink user_pk=\(userPK)") { session in
            try session.query(
                "SELECT user_id, uid, username, discriminator, activated FROM discord_discorduser WHERE user_id = ?",
                [.int(userPK)]
            ).first.map { try MariaDBRowReader(row: $0, table: "discord_discorduser").discordLink(at: 0) }
        }
    }

    public func syncProfile(userPK: Int64) async throws -> SyncProfile? {
        try await read("syncProfile user_pk=\(userPK)") { session in
            try MariaDBProfileQuery(linkedOnly: false).fetch(session, pks: [userPK]).first?.profile
        }
    }

    public func reservedGroupNames() async throws -> [String] {
        try await read("reservedGroupNames") { session in
            try session.query("SELECT name FROM groupmanagement_reservedgroupname ORDER BY id").compactMap { $0.first?.string }
        }
    }

    public func linkedUsers(pks: [Int64]?) async throws -> [LinkedUser] {
        let started = ContinuousClock.now
        let users = try await read("linkedUsers \(pks.map { "\($0.count) pks" } ?? "all")") { session in
            try MariaDBProfileQuery(linkedOnly: true).fetch(session, pks: pks).compactMap { entry in
                entry.link.map { LinkedUser(link: $0, profile: entry.profile) }
            }
        }
        logger.debug(
            "read linked users", metadata: ["count": "\(users.count)", "duration": "\(ContinuousClock.now - started)"])
        return users
    }

    // MARK: - Writes

    public func updateDiscordUsername(userPK: Int64, username: String, discriminator: String) async throws -> Bool {
        // CLIENT_FOUND_ROWS: affected rows are the matched rows, as SQLite's changes() counts them.
        try await write("updateDiscordUsername user_pk=\(userPK)", idempotent: true) { session in
            try session.run(
                "UPDATE discord_discorduser SET username = ?, discriminator = ? WHERE user_id = ?",
                [.text(username), .text(discriminator), .int(userPK)]
            ).affectedRows > 0
        }
    }

    public func deleteDiscordLink(userPK: Int64) async throws -> Bool {
        // Idempotent in its effect; after a retry whose first COMMIT went through it reports false.
        try await write("deleteDiscordLink user_pk=\(userPK)", idempotent: true) { session in
            try session.run("DELETE FROM discord_discorduser WHERE user_id = ?", [.int(userPK)]).affectedRows > 0
        }
    }

    public func addNotification(
        userPK: Int64, level: NotificationLevel, title: String, message: String, at timestamp: Date,
        maxPerUser: Int
    ) async throws {
        // As SQLiteHostDatabase: keep the newest max-1 (timestamp DESC, id DESC), then insert.
        // MariaDB cannot use LIMIT in an IN subquery, nor select from the table being deleted from,
        // so the ids to keep are read first (under FOR UPDATE) and the rest deleted.
        let keep = max(maxPerUser, 1) - 1
        let stamp = DjangoDateTime.format(timestamp)
        try await write("addNotification user_pk=\(userPK)", idempotent: false) { session in
            let ids = try session.query(
                "SELECT id FROM notifications_notification WHERE user_id = ? ORDER BY timestamp DESC, id DESC FOR UPDATE",
                [.int(userPK)]
            ).compactMap { $0.first?.int64 }
            let doomed = ids.dropFirst(keep)
            var start = doomed.startIndex
            while start < doomed.endIndex {
                let chunk = doomed[start..<min(start + 500, doomed.endIndex)]
                try session.run(
                    "DELETE FROM notifications_notification WHERE id IN ("
                        + Array(repeating: "?", count: chunk.count).joined(separator: ",") + ")",
                    chunk.map { .int($0) })
                start = chunk.endIndex
            }
            try session.run(
                """
                INSERT INTO notifications_notification (user_id, level, title, message, timestamp, viewed)
                VALUES (?, ?, ?, ?, ?, 0)
                """,
                [.int(userPK), .text(level.rawValue), .text(title), .text(message), .text(stamp)])
        }
    }

    public func upsertDiscordLink(
        userPK: Int64, uid: Int64, username: String, discriminator: String, activated: Date
    ) async throws {
        let name = username.prefix(codePoints: 32)
        let tag = discriminator.prefix(codePoints: 4)
        let stamp = DjangoDateTime.format(activated)
        try await write("upsertDiscordLink user_pk=\(userPK)", idempotent: true) { session in
            _ = try session.run(
                """
                INSERT INTO discord_discorduser (user_id, uid, username, discriminator, activated)
                VALUES (?, ?, ?, ?, ?)
                ON DUPLICATE KEY UPDATE uid = VALUES(uid), username = VALUES(username),
                    discriminator = VALUES(discriminator), activated = VALUES(activated)
                """,
                [.int(userPK), .int(uid), .text(name), .text(tag), .text(stamp)])
        }
    }

    // MARK: - Plumbing

    private func read<T: Sendable>(_ context: String, _ body: @escaping @Sendable (MariaDBSession) throws -> T)
        async throws -> T
    {
        do {
            return try await pool.read(body)
        } catch {
            throw map(error, context)
        }
    }

    private func write<T: Sendable>(
        _ context: String, idempotent: Bool, _ body: @escaping @Sendable (MariaDBSession) throws -> T
    ) async throws -> T {
        do {
            return try await pool.write(idempotent: idempotent, body)
        } catch {
            throw map(error, context)
        }
    }

    /// One line per failure kind, naming DATABASE_URL (password redacted) and what to do.
    func map(_ error: any Error, _ context: String) -> any Error {
        guard let error = error as? MariaDBError else {
            if let error = error as? HostDatabaseError {
                return HostDatabaseError(error.code, "\(context): \(error.context)", underlying: error.underlying)
            }
            return error
        }
        let url = "DATABASE_URL \(endpoint)"
        let server = "MariaDB \(error.number): \(error.message)"
        switch error.number {
        case 1045:
            return HostDatabaseError(
                .accessDenied, "\(url): access denied: check the user and password (percent-escaped) in DATABASE_URL",
                underlying: server)
        case 1044, 1142, 1143, 1227, 1370:
            return HostDatabaseError(
                .accessDenied,
                "\(url): user '\(endpoint.user)' lacks privileges (\(context)): GRANT SELECT, INSERT, UPDATE, DELETE ON `\(endpoint.database)`.* TO it",
                underlying: server)
        case 1049:
            return HostDatabaseError(
                .databaseNotFound,
                "\(url): unknown database '\(endpoint.database)': check the name (AA's DATABASES['default']['NAME'])",
                underlying: server)
        case 1146, 1054:
            return HostDatabaseError(
                .schemaMismatch, "\(url): \(context): Alliance Auth's schema is missing or old: run Alliance Auth's migrations (python manage.py migrate)",
                underlying: server)
        case 1205, 1213:
            return HostDatabaseError(.busy, "\(context): \(url)", underlying: server)
        default:
            break
        }
        switch error.kind {
        case .connectionLost, .transient:
            let what = error.phase == .connect ? "cannot reach the database server" : "the connection to the database broke"
            return HostDatabaseError(.unavailable, "\(url): \(what) (\(context)); waiting for it", underlying: server)
        case .permanent:
            if error.phase == .connect {
                return HostDatabaseError(.openFailed, "\(url): cannot connect", underlying: server)
            }
            return HostDatabaseError(.queryFailed, "\(context) on \(url)", underlying: server)
        }
    }
}
