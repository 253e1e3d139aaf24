public import Foundation
import GRDB
public import HostDatabase

/// A main character to give a user; the same fields `HostDatabase` reads back.
public typealias EveCharacterSpec = EveCharacter

/// Builds Alliance Auth 5.5 SQLite databases for tests, the demo and the benchmark, from AA's real
/// schema (`Fixtures/allianceauth/schema_sqlite.sql`), with AA's reference states seeded:
/// Guest (id 1, priority 0, public), Blue (2, 50), Member (3, 100).
///
/// Methods are synchronous (small SQLite writes for test set-up); rows are written the way Django
/// writes them (booleans 0/1, naive UTC datetime text).
public final class AADatabaseBuilder: Sendable {
    public struct BuilderError: Error, CustomStringConvertible {
        public let description: String
    }

    /// A notification row as stored, for assertions.
    public struct StoredNotification: Sendable, Hashable {
        public let id: Int64
        public let userPK: Int64
        public let level: String
        public let title: String
        public let message: String
        /// The `timestamp` column's raw text.
        public let timestamp: String
        public let viewed: Int64
    }

    /// A `discord_discorduser` row as stored, `activated` as raw text.
    public struct StoredDiscordLink: Sendable, Hashable {
        public let userPK: Int64
        public let uid: Int64
        public let username: String
        public let discriminator: String
        public let activated: String?

        public init(userPK: Int64, uid: Int64, username: String, discriminator: String, activated: String?) {
            self.userPK = userPK
            self.uid = uid
            self.username = username
            self.discriminator = discriminator
            self.activated = activated
        }
    }

    /// AA's reference states: name → id.
    public static let seededStates: [String: Int64] = ["Guest": 1, "Blue": 2, "Member": 3]

    /// `Fixtures/allianceauth/schema_sqlite.sql` of this repository.
    public static var defaultSchemaPath: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // repository
            .appendingPathComponent("Fixtures/allianceauth/schema_sqlite.sql").path
    }

    /// The database file.
    public let path: String
    private let queue: DatabaseQueue

    /// Creates a new database at `path` from AA's schema and seeds the reference states.
    /// An existing file is an error unless `replacingExisting` (never point this at a real AA database).
    public init(path: String, schemaPath: String? = nil, replacingExisting: Bool = false) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: path) {
            guard replacingExisting else {
                throw BuilderError(description: "AADatabaseBuilder: \(path) exists; pass replacingExisting: true")
            }
            for suffix in ["", "-wal", "-shm", "-journal"] where fileManager.fileExists(atPath: path + suffix) {
                try fileManager.removeItem(atPath: path + suffix)
            }
        }
        let schemaFile = schemaPath ?? Self.defaultSchemaPath
        guard let schema = try? String(contentsOfFile: schemaFile, encoding: .utf8) else {
            throw BuilderError(description: "AADatabaseBuilder: cannot read the schema at \(schemaFile)")
        }
        self.path = path
        queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: schema)
            for (name, id, priority, isPublic) in [("Guest", 1, 0, 1), ("Blue", 2, 50, 0), ("Member", 3, 100, 0)] {
                try db.execute(
                    sql: "INSERT INTO authentication_state (id, name, priority, public) VALUES (?, ?, ?, ?)",
                    arguments: [id, name, priority, isPublic])
            }
        }
    }

    // MARK: - Builder methods

    /// Adds a state (beyond the three seeded ones); returns its id.
    @discardableResult
    public func addState(name: String, priority: Int, isPublic: Bool = false) throws -> Int64 {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO authentication_state (name, priority, public) VALUES (?, ?, ?)",
                arguments: [name, priority, isPublic ? 1 : 0])
            return db.lastInsertedRowID
        }
    }

    /// Returns the id of the group with this name, creating it when needed.
    @discardableResult
    public func addGroup(_ name: String) throws -> Int64 {
        try queue.write { db in try Self.groupID(db, name) }
    }

    public func addReservedGroupName(_ name: String, reason: String = "test", createdBy: String = "test") throws {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO groupmanagement_reservedgroupname (name, reason, created_by, created_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [name, reason, createdBy, Self.fixedTimestamp])
        }
    }

    /// Adds a `services_nameformatconfig` row linked to the named states; returns its id.
    @discardableResult
    public func addNameFormat(
        format: String, states: [String], serviceName: String = "discord", defaultToUsername: Bool = true
    ) throws -> Int64 {
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO services_nameformatconfig (service_name, default_to_username, format) VALUES (?, ?, ?)",
                arguments: [serviceName, defaultToUsername ? 1 : 0, format])
            let configID = db.lastInsertedRowID
            for state in states {
                try db.execute(
                    sql: "INSERT INTO services_nameformatconfig_states (nameformatconfig_id, state_id) VALUES (?, ?)",
                    arguments: [configID, try Self.stateID(db, state)])
            }
            return configID
        }
    }

    /// Adds a user with profile, groups (created as needed), optional main character and optional
    /// Discord link; returns the user's pk.
    @discardableResult
    public func addUser(
        username: String, state: String = "Member", groups: [String] = [], main: EveCharacterSpec? = nil,
        discordUID: Int64? = nil, discordUsername: String? = nil, discriminator: String = "0",
        activated: Date? = Date(timeIntervalSince1970: 1_717_243_200.123456)
    ) throws -> Int64 {
        try queue.write { db in
            let stateID = try Self.stateID(db, state)
            try db.execute(sql: Self.insertUserSQL, arguments: [username, Self.fixedTimestamp])
            let pk = db.lastInsertedRowID
            var mainID: Int64?
            if let main {
                try db.execute(sql: Self.insertCharacterSQL, arguments: Self.characterArguments(main))
                mainID = db.lastInsertedRowID
            }
            try db.execute(sql: Self.insertProfileSQL, arguments: [mainID, stateID, pk])
            for group in groups {
                try db.execute(
                    sql: "INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)",
                    arguments: [pk, try Self.groupID(db, group)])
            }
            if let discordUID {
                try db.execute(
                    sql: Self.insertLinkSQL,
                    arguments: [
                        pk, discordUID, activated.map(DjangoDateTime.format), discriminator,
                        discordUsername ?? username,
                    ])
            }
            return pk
        }
    }

    /// Adds a notification row as AA would have stored it; returns its id.
    @discardableResult
    public func addNotification(
        userPK: Int64, timestamp: Date, title: String = "Old news", message: String = "Something happened.",
        level: String = "info", viewed: Bool = false
    ) throws -> Int64 {
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO notifications_notification (user_id, level, title, message, timestamp, viewed)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [userPK, level, title, message, DjangoDateTime.format(timestamp), viewed ? 1 : 0])
            return db.lastInsertedRowID
        }
    }

    /// Switches the file to WAL mode (to test that mode; AA's default is a rollback journal).
    public func enableWAL() throws {
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
    }

    /// Takes SQLite's exclusive lock on the file from a separate connection, as a busy AA web
    /// process would, until `release()` is called.
    public func lockExclusively() throws -> AADatabaseLock {
        try AADatabaseLock(path: path)
    }

    // MARK: - Inspection

    /// The user's notifications, newest first (by timestamp, then id).
    public func notifications(userPK: Int64) throws -> [StoredNotification] {
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, user_id, level, title, message, timestamp, viewed FROM notifications_notification
                    WHERE user_id = ? ORDER BY timestamp DESC, id DESC
                    """,
                arguments: [userPK]
            ).map { row in
                StoredNotification(
                    id: row[0], userPK: row[1], level: row[2], title: row[3], message: row[4], timestamp: row[5],
                    viewed: row[6])
            }
        }
    }

    /// The user's `discord_discorduser` row as stored, nil when there is none.
    public func storedDiscordLink(userPK: Int64) throws -> StoredDiscordLink? {
        try queue.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT user_id, uid, username, discriminator, activated FROM discord_discorduser WHERE user_id = ?",
                arguments: [userPK]
            ).map { row in
                StoredDiscordLink(
                    userPK: row[0], uid: row[1], username: row[2], discriminator: row[3], activated: row[4])
            }
        }
    }

    /// Runs a statement against the database (for tests that need a row AA's schema allows but
    /// the builder has no method for, or a deliberately broken one).
    public func execute(sql: String) throws {
        try queue.write { db in try db.execute(sql: sql) }
    }

    /// The first column of the first row of `sql` as text, for ad-hoc assertions.
    public func scalarText(_ sql: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: sql) }
    }

    // MARK: - Generated databases

    /// What `generate` produced.
    public struct Generated: Sendable {
        public let builder: AADatabaseBuilder
        /// All user pks, ascending.
        public let userPKs: [Int64]
        /// Pks of the users with a Discord link (uid = 100000000000000000 + pk), ascending.
        public let linkedUserPKs: [Int64]
        /// How many users have a main character.
        public let usersWithMain: Int
        public var path: String { builder.path }
    }

    /// The group names `generate` draws from (20; one with an emoji, one longer than 100 code points).
    public static let generatedGroupPool: [String] = [
        "Fleet Commanders 🚀", "Capital Pilots", "Logistics", "Scouts", "Miners", "Industry", "Diplomats",
        "Recruiters", "Titan Pilots", "Supercarrier Pilots", "Black Ops", "Wormhole Division", "Newbros",
        "Veterans", "PvP Squad", "Directors", "Market Traders", "Structure Managers", "Moon Miners",
        "Alliance Strategic Operations and Long Range Deployment Planning Committee, Extended Membership Roster 2024",
    ]

    /// The name format `generate` configures for the Member state.
    public static let generatedNameFormat = "[{corp_ticker}] {character_name}"

    /// Base of the Discord user ids `generate` gives linked users: uid = base + pk.
    public static let generatedUIDBase: Int64 = 100_000_000_000_000_000

    /// Creates a database at `path` with `users` users, deterministically for a given `seed`:
    /// states mostly Member (80% Member, 12% Blue, 8% Guest), 0–4 groups each from
    /// `generatedGroupPool`, 95% with a main character (12 corporations, 9 of them in 3 alliances),
    /// 90% linked to Discord (uid = `generatedUIDBase` + pk, username `user<pk>`, discriminator "0"),
    /// and the name format `[{corp_ticker}] {character_name}` for Member. All in one transaction.
    public static func generate(
        path: String, users: Int, seed: UInt64 = 1, schemaPath: String? = nil, replacingExisting: Bool = false
    ) throws -> Generated {
        let builder = try AADatabaseBuilder(path: path, schemaPath: schemaPath, replacingExisting: replacingExisting)
        try builder.addNameFormat(format: generatedNameFormat, states: ["Member"])
        let stamp = fixedTimestamp
        let activated = DjangoDateTime.format(Date(timeIntervalSince1970: 1_717_243_200.123456))
        let (userPKs, linked, withMain) = try builder.queue.write { db in
            var random = SplitMix64(seed: seed)
            var groupIDs: [Int64] = []
            for name in generatedGroupPool { groupIDs.append(try groupID(db, name)) }
            let insertUser = try db.cachedStatement(sql: insertUserSQL)
            let insertCharacter = try db.cachedStatement(sql: insertCharacterSQL)
            let insertProfile = try db.cachedStatement(sql: insertProfileSQL)
            let insertMembership = try db.cachedStatement(
                sql: "INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)")
            let insertLink = try db.cachedStatement(sql: insertLinkSQL)
            var userPKs: [Int64] = [], linked: [Int64] = [], withMain = 0
            userPKs.reserveCapacity(users)
            for index in 0..<max(users, 0) {
                try insertUser.execute(arguments: ["member\(index + 1)", stamp])
                let pk = db.lastInsertedRowID
                userPKs.append(pk)
                let stateRoll = random.next(below: 100)
                let stateID: Int64 = stateRoll < 80 ? 3 : stateRoll < 92 ? 2 : 1
                var mainID: Int64?
                if random.next(below: 100) < 95 {
                    try insertCharacter.execute(arguments: characterArguments(generatedCharacter(pk: pk, random: &random)))
                    mainID = db.lastInsertedRowID
                    withMain += 1
                }
                try insertProfile.execute(arguments: [mainID, stateID, pk])
                var chosen = Set<Int>()
                for _ in 0..<random.next(below: 5) { chosen.insert(Int(random.next(below: UInt64(groupIDs.count)))) }
                for groupIndex in chosen.sorted() {
                    try insertMembership.execute(arguments: [pk, groupIDs[groupIndex]])
                }
                if random.next(below: 100) < 90 {
                    try insertLink.execute(arguments: [pk, generatedUIDBase + pk, activated, "0", "user\(pk)"])
                    linked.append(pk)
                }
            }
            return (userPKs, linked, withMain)
        }
        return Generated(builder: builder, userPKs: userPKs, linkedUserPKs: linked, usersWithMain: withMain)
    }

    private static func generatedCharacter(pk: Int64, random: inout SplitMix64) -> EveCharacterSpec {
        let corp = Int64(random.next(below: 12))
        let alliance: Int64? = corp < 9 ? corp / 3 : nil
        return EveCharacterSpec(
            characterID: 2_112_000_000 + pk,
            characterName: "Pilot \(pk)",
            corporationID: 98_000_001 + corp,
            corporationName: "Corporation \(corp + 1)",
            corporationTicker: "CRP\(corp + 1)",
            allianceID: alliance.map { 99_000_001 + $0 },
            allianceName: alliance.map { "Alliance \($0 + 1)" } ?? "",
            allianceTicker: alliance.map { "ALL\($0 + 1)" } ?? "")
    }

    // MARK: - SQL

    private static let fixedTimestamp = "2024-01-01 00:00:00"

    private static let insertUserSQL = """
        INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, email, is_staff, is_active,
                               date_joined, first_name)
        VALUES ('!', NULL, 0, ?, '', '', 0, 1, ?, '')
        """

    private static let insertCharacterSQL = """
        INSERT INTO eveonline_evecharacter (character_id, character_name, corporation_id, corporation_name,
            corporation_ticker, alliance_id, alliance_name, alliance_ticker, faction_id, faction_name, description,
            gender, title)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', '', '')
        """

    private static let insertProfileSQL = """
        INSERT INTO authentication_userprofile (main_character_id, state_id, user_id, night_mode, theme, language,
                                                minimize_sidebar)
        VALUES (?, ?, ?, NULL, NULL, '', 0)
        """

    private static let insertLinkSQL = """
        INSERT INTO discord_discorduser (user_id, uid, activated, discriminator, username) VALUES (?, ?, ?, ?, ?)
        """

    private static func characterArguments(_ character: EveCharacterSpec) -> StatementArguments {
        [
            character.characterID, character.characterName, character.corporationID, character.corporationName,
            character.corporationTicker, character.allianceID, character.allianceName, character.allianceTicker,
        ]
    }

    private static func stateID(_ db: Database, _ name: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM authentication_state WHERE name = ?", arguments: [name])
        else { throw BuilderError(description: "AADatabaseBuilder: no state named '\(name)'") }
        return id
    }

    private static func groupID(_ db: Database, _ name: String) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM auth_group WHERE name = ?", arguments: [name]) {
            return id
        }
        try db.execute(sql: "INSERT INTO auth_group (name) VALUES (?)", arguments: [name])
        return db.lastInsertedRowID
    }
}

/// A small deterministic generator (SplitMix64), so a seed always yields the same database.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}

/// An open `BEGIN EXCLUSIVE` transaction on its own connection (see `AADatabaseBuilder.lockExclusively`).
public final class AADatabaseLock: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the transaction outlives one access on purpose
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "BEGIN EXCLUSIVE") }
    }

    public func release() throws {
        try queue.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
    }
}
