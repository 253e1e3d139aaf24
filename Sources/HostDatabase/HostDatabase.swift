public import Foundation

/// Alliance Auth's own database as the Discord tasks use it (tables: Fixtures/allianceauth/schema_sqlite.sql
/// and schema_mysql.sql; task semantics: README "Tasks").
///
/// Per-user reads serve the single-user tasks; `linkedUsers(pks:)` serves the bulk tasks with a
/// handful of set-based queries (no query per user). Every method throws `HostDatabaseError`
/// (or `CancellationError`). Implementations: `SQLiteHostDatabase` (module HostDatabaseSQLite) and
/// `MariaDBHostDatabase` (module HostDatabaseMariaDB); the CLI's `HostDatabaseFactory` picks one by URL.
public protocol HostDatabase: Sendable {
    /// A cheap round trip proving the database answers (for readiness checks). Throws
    /// `HostDatabaseError` (code `.unavailable` when the server cannot be reached).
    func ping() async throws

    /// Closes connections (MariaDB's pool; nothing for SQLite). The database is not used afterwards.
    func close() async

    /// `auth_user` by pk; nil when there is no such user (AA's task fails on that).
    func user(pk: Int64) async throws -> AAUser?

    /// The user's `discord_discorduser` row; nil when the user has no Discord link.
    func discordLink(userPK: Int64) async throws -> DiscordLink?

    /// Groups, state, main character, nickname format and username of one user; nil when there is
    /// no such user. Works for users without a Discord link too.
    func syncProfile(userPK: Int64) async throws -> SyncProfile?

    /// All `groupmanagement_reservedgroupname.name` values.
    func reservedGroupNames() async throws -> [String]

    /// Every linked user (`pks == nil`) or the linked users among `pks`, ordered by user pk.
    /// Pks without a link (or without a user) are absent; duplicates in `pks` are ignored.
    func linkedUsers(pks: [Int64]?) async throws -> [LinkedUser]

    /// `update_username`: stores the member's current Discord username and discriminator as given
    /// (no truncation); `uid` and `activated` keep their values. Returns false when no row exists.
    @discardableResult
    func updateDiscordUsername(userPK: Int64, username: String, discriminator: String) async throws -> Bool

    /// `delete_user`: deletes the link row. Returns true when a row was deleted.
    @discardableResult
    func deleteDiscordLink(userPK: Int64) async throws -> Bool

    /// Inserts a notification (not viewed) after pruning the user's oldest ones so that they end
    /// with at most `maxPerUser` (AA's `NOTIFICATIONS_MAX_PER_USER`). The caller then deletes the
    /// cache key `:1:USER_NOTIFICATION_COUNT_<pk>` in Redis.
    func addNotification(
        userPK: Int64, level: NotificationLevel, title: String, message: String, at timestamp: Date,
        maxPerUser: Int
    ) async throws

    /// OAuth linking: inserts or updates the link row with `uid`, `username[:32]`,
    /// `discriminator[:4]` (code points, as Python slices) and `activated`.
    func upsertDiscordLink(
        userPK: Int64, uid: Int64, username: String, discriminator: String, activated: Date
    ) async throws
}

extension HostDatabase {
    /// `addNotification` with AA's default limit of 50 per user.
    public func addNotification(
        userPK: Int64, level: NotificationLevel, title: String, message: String, at timestamp: Date
    ) async throws {
        try await addNotification(
            userPK: userPK, level: level, title: title, message: message, at: timestamp,
            maxPerUser: HostNotification.defaultMaxPerUser)
    }

    /// Inserts one of AA's fixed notifications, e.g. `.discordAccountDisabled`.
    public func addNotification(
        userPK: Int64, _ notification: HostNotification, at timestamp: Date,
        maxPerUser: Int = HostNotification.defaultMaxPerUser
    ) async throws {
        try await addNotification(
            userPK: userPK, level: notification.level, title: notification.title, message: notification.message,
            at: timestamp, maxPerUser: maxPerUser)
    }
}
