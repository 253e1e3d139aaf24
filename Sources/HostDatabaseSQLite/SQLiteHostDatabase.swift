public import Foundation
import GRDB
public import HostDatabase
public import Logging
import Synchronization

/// `HostDatabase` on Alliance Auth's SQLite file, through GRDB.
///
/// Journal mode: AA's Django opens its SQLite file in the default rollback-journal mode. GRDB's
/// `DatabasePool` (concurrent readers) needs WAL and would switch the file to WAL *permanently*,
/// which matters for AA: the `-wal`/`-shm` files must be writable by every OS user that opens the
/// database (the web process often runs as another user or in another container), WAL does not
/// work on network file systems, and a backup that copies only the `.db` file misses what is
/// still in the `-wal` file. So this type never changes the journal mode: a database already in
/// WAL mode is opened as a `DatabasePool`, any other as a `DatabaseQueue` (one connection, reads
/// and writes serialized in this process; a bulk read of 10,000 users takes tens of milliseconds).
///
/// (Opening a WAL database as a pool makes GRDB check the WAL set-up: `journal_mode = WAL` is then
/// a no-op, and when the `-wal` file is empty it creates and drops a scratch table.)
///
/// Every access goes through GRDB's async `read`/`write`, which run on GRDB's own dispatch
/// queues, never on Swift's cooperative pool. Writes use `BEGIN IMMEDIATE` and a busy timeout, so
/// a concurrent writer in AA's web process makes them wait instead of failing; past the timeout
/// the error has code `.busy` (transient).
public final class SQLiteHostDatabase: HostDatabase {
    private let writer: any DatabaseWriter
    private let logger: Logger
    /// The database file, as given.
    public let path: String
    /// True when the file is in WAL mode and opened as a `DatabasePool`.
    public let usesWAL: Bool
    private let bulkReadShape = Mutex<BulkReadShape?>(nil)
    private let isClosed = Atomic<Bool>(false)

    /// Tables the Discord tasks read or write (AA 5.5's schema: Fixtures/allianceauth/schema_sqlite.sql); checked at open.
    static let requiredTables = [
        "auth_user", "auth_group", "auth_user_groups", "authentication_userprofile", "authentication_state",
        "discord_discorduser", "eveonline_evecharacter", "groupmanagement_reservedgroupname",
        "services_nameformatconfig", "services_nameformatconfig_states", "notifications_notification",
    ]

    /// Opens an existing AA database file. Synchronous (it opens SQLite connections): call it at
    /// start-up, not on a hot path.
    ///
    /// - Parameter busyTimeout: how long a statement waits for a lock held by another process.
    public init(path: String, busyTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "HostDatabase"))
        throws
    {
        self.path = path
        self.logger = logger
        guard FileManager.default.fileExists(atPath: path) else {
            throw HostDatabaseError(.databaseNotFound, "no SQLite database file at \(path)")
        }
        var configuration = Configuration()
        configuration.label = "HostDatabase"
        configuration.busyMode = .timeout(Double(busyTimeout.components.seconds)
            + Double(busyTimeout.components.attoseconds) / 1e18)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let journalMode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            usesWAL = journalMode?.lowercased() == "wal"
            writer = usesWAL ? try DatabasePool(path: path, configuration: configuration) : queue
        } catch {
            throw HostDatabaseError(.openFailed, "opening SQLite database \(path)", underlying: "\(error)")
        }
        let present: Set<String>
        do {
            present = try writer.read { db in
                try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"))
            }
        } catch {
            closeConnections()
            throw HostDatabaseError(.openFailed, "reading the schema of \(path)", underlying: "\(error)")
        }
        let missing = Self.requiredTables.filter { !present.contains($0) }
        guard missing.isEmpty else {
            closeConnections()
            throw HostDatabaseError(
                .schemaMismatch,
                "\(path) is not an Alliance Auth database with the Discord service migrated; missing tables: "
                    + missing.joined(separator: ", "))
        }
        logger.debug("opened host database", metadata: ["path": "\(path)", "wal": "\(usesWAL)"])
    }

    // MARK: - Reads

    public func ping() async throws {
        _ = try await read("ping") { db in try Int64.fetchOne(db, sql: "SELECT 1") }
    }

    /// Closes the SQLite connections; later calls fail. Required before the database is dropped
    /// (debug builds stop in `deinit` otherwise, as async-http-client does for its client).
    public func close() async {
        closeConnections()
    }

    private func closeConnections() {
        isClosed.store(true, ordering: .releasing)
        try? writer.close()
    }

    deinit {
        assert(isClosed.load(ordering: .acquiring), "SQLiteHostDatabase dropped without close()")
    }

    public func user(pk: Int64) async throws -> AAUser? {
        try await read("user user_pk=\(pk)") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT id, username FROM auth_user WHERE id = ?"), arguments: [pk])
                .map { row in
                    let reader = RowReader(row: row, table: "auth_user")
                    return AAUser(id: try reader.requiredInt64(0, "id"), username: try reader.requiredString(1, "username"))
                }
        }
    }

    public func discordLink(userPK: Int64) async throws -> DiscordLink? {
        try await read("discordLink user_pk=\(userPK)") { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT user_id, uid, username, discriminator, activated FROM discord_discorduser WHERE user_id = ?"),
                arguments: [userPK]
            ).map { try RowReader(row: $0, table: "discord_discorduser").discordLink(at: 0) }
        }
    }

    public func syncProfile(userPK: Int64) async throws -> SyncProfile? {
        try await read("syncProfile user_pk=\(userPK)") { db in
            try ProfileQuery(linkedOnly: false).fetch(db, pks: [userPK]).first?.profile
        }
    }

    public func reservedGroupNames() async throws -> [String] {
        try await read("reservedGroupNames") { db in
            try String.fetchAll(db, sql: "SELECT name FROM groupmanagement_reservedgroupname ORDER BY id")
        }
    }

    /// Users per read transaction when every linked user is read from a rollback-journal database.
    static let bulkReadChunk = 2_000

    /// How the last `linkedUsers` call read: transactions and the longest one (for the benchmark).
    public struct BulkReadShape: Sendable {
        public var transactions: Int
        public var longest: Duration
    }

    /// The shape of the last `linkedUsers` call.
    public var lastBulkRead: BulkReadShape? { bulkReadShape.withLock { $0 } }

    /// All linked users (or those of `pks`), ordered by pk.
    ///
    /// Locking: in rollback-journal mode (AA's default) a read transaction holds a SHARED lock that
    /// keeps every writer — AA's web process saving a login, a group change — from committing until
    /// it ends. Reading 100,000 users in one transaction takes about a second, so a full read runs in
    /// transactions of `bulkReadChunk` users (by pk) of a few milliseconds each. Trade-off: each chunk
    /// is its own snapshot, so the result is not one consistent picture of the whole table; every
    /// user's own rows (link, profile, state, main character, groups) still come from one snapshot.
    /// A user created after the pk list was read is left out (AA enqueues that user's own
    /// `update_groups`), one deleted meanwhile is skipped, one changed meanwhile is read as of its
    /// chunk — the same as if the change had happened just before or after a single-snapshot read.
    /// In WAL mode readers do not block writers: one transaction, one snapshot.
    public func linkedUsers(pks: [Int64]?) async throws -> [LinkedUser] {
        let started = ContinuousClock.now
        let context = "linkedUsers \(pks.map { "\($0.count) pks" } ?? "all")"
        let chunks: [[Int64]?]
        if pks == nil, !usesWAL {
            let all = try await read(context) { db in
                try Int64.fetchAll(db.cachedStatement(sql: "SELECT user_id FROM discord_discorduser ORDER BY user_id"))
            }
            chunks = stride(from: 0, to: all.count, by: Self.bulkReadChunk).map { Array(all[$0..<min($0 + Self.bulkReadChunk, all.count)]) }
        } else {
            chunks = [pks]
        }
        var users: [LinkedUser] = []
        var longest = Duration.zero
        for chunk in chunks {
            let (part, took) = try await read(context) { db in
                let transactionStarted = ContinuousClock.now
                let part = try ProfileQuery(linkedOnly: true).fetch(db, pks: chunk).compactMap { entry in
                    entry.link.map { LinkedUser(link: $0, profile: entry.profile) }  // always set when linkedOnly
                }
                return (part, ContinuousClock.now - transactionStarted)
            }
            users += part
            longest = max(longest, took)
        }
        bulkReadShape.withLock { $0 = BulkReadShape(transactions: chunks.count, longest: longest) }
        logger.debug(
            "read linked users",
            metadata: ["count": "\(users.count)", "duration": "\(ContinuousClock.now - started)",
                       "transactions": "\(chunks.count)", "longest_transaction": "\(longest)"])
        return users
    }

    // MARK: - Writes

    public func updateDiscordUsername(userPK: Int64, username: String, discriminator: String) async throws -> Bool {
        try await write("updateDiscordUsername user_pk=\(userPK)") { db in
            try db.execute(
                sql: "UPDATE discord_discorduser SET username = ?, discriminator = ? WHERE user_id = ?",
                arguments: [username, discriminator, userPK])
            return db.changesCount > 0
        }
    }

    public func deleteDiscordLink(userPK: Int64) async throws -> Bool {
        try await write("deleteDiscordLink user_pk=\(userPK)") { db in
            try db.execute(sql: "DELETE FROM discord_discorduser WHERE user_id = ?", arguments: [userPK])
            return db.changesCount > 0
        }
    }

    public func addNotification(
        userPK: Int64, level: NotificationLevel, title: String, message: String, at timestamp: Date,
        maxPerUser: Int
    ) async throws {
        // AA deletes, when the user has >= max notifications, all but the newest max-1 (by
        // timestamp DESC). Keeping the newest max-1 unconditionally is the same: with fewer than
        // max rows nothing goes. Ties on timestamp keep the higher id. Django's datetime text sorts
        // like the time it denotes, with or without the fraction.
        let keep = max(maxPerUser, 1) - 1
        let stamp = DjangoDateTime.format(timestamp)
        try await write("addNotification user_pk=\(userPK)") { db in
            try db.execute(
                sql: """
                    DELETE FROM notifications_notification WHERE user_id = ? AND id NOT IN (
                        SELECT id FROM notifications_notification WHERE user_id = ?
                        ORDER BY timestamp DESC, id DESC LIMIT ?)
                    """,
                arguments: [userPK, userPK, keep])
            try db.execute(
                sql: """
                    INSERT INTO notifications_notification (user_id, level, title, message, timestamp, viewed)
                    VALUES (?, ?, ?, ?, ?, 0)
                    """,
                arguments: [userPK, level.rawValue, title, message, stamp])
        }
    }

    public func upsertDiscordLink(
        userPK: Int64, uid: Int64, username: String, discriminator: String, activated: Date
    ) async throws {
        let name = username.prefix(codePoints: 32)
        let tag = discriminator.prefix(codePoints: 4)
        let stamp = DjangoDateTime.format(activated)
        try await write("upsertDiscordLink user_pk=\(userPK)") { db in
            try db.execute(
                sql: """
                    INSERT INTO discord_discorduser (user_id, uid, username, discriminator, activated)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (user_id) DO UPDATE SET uid = excluded.uid, username = excluded.username,
                        discriminator = excluded.discriminator, activated = excluded.activated
                    """,
                arguments: [userPK, uid, name, tag, stamp])
        }
    }

    // MARK: - Plumbing

    private func read<T: Sendable>(_ context: String, _ body: @Sendable (Database) throws -> T)
        async throws -> T
    {
        do {
            return try await writer.read(body)
        } catch {
            throw Self.wrap(error, context)
        }
    }

    /// One write transaction. GRDB begins write transactions with `BEGIN IMMEDIATE`, so the write
    /// lock is taken (waiting up to the busy timeout) before the first statement.
    private func write<T: Sendable>(_ context: String, _ body: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw Self.wrap(error, context)
        }
    }

    private static func wrap(_ error: any Error, _ context: String) -> any Error {
        switch error {
        case let error as HostDatabaseError:
            return HostDatabaseError(error.code, "\(context): \(error.context)", underlying: error.underlying)
        case is CancellationError:
            return error
        case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED:
            return HostDatabaseError(.busy, context, underlying: "\(error)")
        default:
            return HostDatabaseError(.queryFailed, context, underlying: "\(error)")
        }
    }
}
