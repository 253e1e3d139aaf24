public import Foundation
import GRDB
public import HostDatabase
import MariaDBClient
import Synchronization

/// A main character to give a user; the same fields `HostDatabase` reads back.
public typealias EveCharacterSpec = EveCharacter

/// Builds Alliance Auth 5.5 databases for tests, the demo and the benchmark, on SQLite from AA's
/// real schema (`Fixtures/allianceauth/schema_sqlite.sql`) or on MariaDB (a `MariaDBAADatabase`,
/// created from `schema_mysql.sql`), with AA's reference states seeded:
/// Guest (id 1, priority 0, public), Blue (2, 50), Member (3, 100).
///
/// Methods are synchronous (small writes for test set-up, blocking the caller: test code only);
/// rows are written the way Django writes them (booleans 0/1, naive UTC datetimes). The same SQL
/// runs on both backends; `generate` uses multi-row INSERTs on MariaDB.
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

    /// The database file (SQLite); for MariaDB the database's name.
    public let path: String
    /// The `DATABASE_URL` the worker uses for this database.
    public let databaseURL: String
    private let store: Store
    /// The MariaDB database, when the builder fills one.
    public let mariaDB: MariaDBAADatabase?

    /// Creates a builder on an (empty) AA database on MariaDB and seeds the reference states.
    public init(mariaDB: MariaDBAADatabase) throws {
        path = mariaDB.name
        databaseURL = mariaDB.url()
        self.mariaDB = mariaDB
        store = .mariaDB(LockedSession(mariaDB.server.rootConfiguration(database: mariaDB.name)))
        try seedStates()
    }

    /// A new AA database on the shared test `mariadbd` (see `MariaDBServerProcess.shared()`).
    public static func mariaDB() async throws -> AADatabaseBuilder {
        try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: try await MariaDBServerProcess.shared()))
    }

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
        databaseURL = "sqlite:///" + path
        mariaDB = nil
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: schema) }
        store = .sqlite(queue)
        try seedStates()
    }

    private func seedStates() throws {
        try write { db in
            for (name, id, priority, isPublic) in [("Guest", 1, 0, 1), ("Blue", 2, 50, 0), ("Member", 3, 100, 0)] {
                _ = try db.execute(
                    "INSERT INTO authentication_state (id, name, priority, public) VALUES (?, ?, ?, ?)",
                    [.int(Int64(id)), .text(name), .int(Int64(priority)), .int(Int64(isPublic))])
            }
        }
    }

    // MARK: - Builder methods

    /// Adds a state (beyond the three seeded ones); returns its id.
    @discardableResult
    public func addState(name: String, priority: Int, isPublic: Bool = false) throws -> Int64 {
        try write { db in
            try db.execute(
                "INSERT INTO authentication_state (name, priority, public) VALUES (?, ?, ?)",
                [.text(name), .int(Int64(priority)), .int(isPublic ? 1 : 0)])
        }
    }

    /// Returns the id of the group with this name, creating it when needed.
    @discardableResult
    public func addGroup(_ name: String) throws -> Int64 {
        try write { db in try Self.groupID(db, name) }
    }

    public func addReservedGroupName(_ name: String, reason: String = "test", createdBy: String = "test") throws {
        try write { db in
            _ = try db.execute(
                """
                INSERT INTO groupmanagement_reservedgroupname (name, reason, created_by, created_at)
                VALUES (?, ?, ?, ?)
                """,
                [.text(name), .text(reason), .text(createdBy), .text(Self.fixedTimestamp)])
        }
    }

    /// Adds a `services_nameformatconfig` row linked to the named states; returns its id.
    @discardableResult
    public func addNameFormat(
        format: String, states: [String], serviceName: String = "discord", defaultToUsername: Bool = true
    ) throws -> Int64 {
        try write { db in
            let configID = try db.execute(
                "INSERT INTO services_nameformatconfig (service_name, default_to_username, format) VALUES (?, ?, ?)",
                [.text(serviceName), .int(defaultToUsername ? 1 : 0), .text(format)])
            for state in states {
                _ = try db.execute(
                    "INSERT INTO services_nameformatconfig_states (nameformatconfig_id, state_id) VALUES (?, ?)",
                    [.int(configID), .int(try Self.stateID(db, state))])
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
        try write { db in
            let stateID = try Self.stateID(db, state)
            let pk = try db.execute(Self.insertUserSQL, [.text(username), .text(Self.fixedTimestamp)])
            var mainID: Int64?
            if let main {
                mainID = try db.execute(Self.insertCharacterSQL, Self.characterArguments(main))
            }
            _ = try db.execute(Self.insertProfileSQL, [mainID.mariaDBValue, .int(stateID), .int(pk)])
            for group in groups {
                _ = try db.execute(
                    "INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)", [.int(pk), .int(try Self.groupID(db, group))])
            }
            if let discordUID {
                _ = try db.execute(
                    Self.insertLinkSQL,
                    [
                        .int(pk), .int(discordUID), activated.map(DjangoDateTime.format).mariaDBValue, .text(discriminator),
                        .text(discordUsername ?? username),
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
        try write { db in
            try db.execute(
                """
                INSERT INTO notifications_notification (user_id, level, title, message, timestamp, viewed)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [.int(userPK), .text(level), .text(title), .text(message), .text(DjangoDateTime.format(timestamp)),
                 .int(viewed ? 1 : 0)])
        }
    }

    /// Switches the file to WAL mode (to test that mode; AA's default is a rollback journal).
    public func enableWAL() throws {
        guard case .sqlite(let queue) = store else { throw BuilderError(description: "enableWAL: SQLite only") }
        try queue.writeWithoutTransaction { db in
            _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        }
    }

    /// Takes SQLite's exclusive lock on the file from a separate connection, as a busy AA web
    /// process would, until `release()` is called.
    public func lockExclusively() throws -> AADatabaseLock {
        guard case .sqlite = store else { throw BuilderError(description: "lockExclusively: SQLite only") }
        return try AADatabaseLock(path: path)
    }

    // MARK: - Inspection

    /// The user's notifications, newest first (by timestamp, then id).
    public func notifications(userPK: Int64) throws -> [StoredNotification] {
        try write { db in
            try db.query(
                """
                SELECT id, user_id, level, title, message, timestamp, viewed FROM notifications_notification
                WHERE user_id = ? ORDER BY timestamp DESC, id DESC
                """,
                [.int(userPK)]
            ).map { row in
                StoredNotification(
                    id: row[0].int64 ?? -1, userPK: row[1].int64 ?? -1, level: row[2].string ?? "",
                    title: row[3].string ?? "", message: row[4].string ?? "",
                    timestamp: Self.djangoText(row[5].string ?? ""), viewed: row[6].int64 ?? -1)
            }
        }
    }

    /// The user's `discord_discorduser` row as stored, nil when there is none.
    public func storedDiscordLink(userPK: Int64) throws -> StoredDiscordLink? {
        try write { db in
            try db.query(
                "SELECT user_id, uid, username, discriminator, activated FROM discord_discorduser WHERE user_id = ?",
                [.int(userPK)]
            ).first.map { row in
                StoredDiscordLink(
                    userPK: row[0].int64 ?? -1, uid: row[1].int64 ?? -1, username: row[2].string ?? "",
                    discriminator: row[3].string ?? "", activated: row[4].string.map(Self.djangoText))
            }
        }
    }

    /// Runs a statement against the database (for tests that need a row AA's schema allows but
    /// the builder has no method for, or a deliberately broken one).
    public func execute(sql: String) throws {
        try write { db in _ = try db.execute(sql, []) }
    }

    /// The first column of the first row of `sql` as text, for ad-hoc assertions.
    public func scalarText(_ sql: String) throws -> String? {
        try write { db in try db.query(sql, []).first?.first?.string }
    }

    /// MariaDB prints datetime(6) with six fraction digits; Django's SQLite text omits a zero fraction.
    static func djangoText(_ text: String) -> String {
        text.hasSuffix(".000000") ? String(text.dropLast(7)) : text
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
        return try builder.fillGenerated(users: users, seed: seed)
    }

    /// `generate` on MariaDB, into a new database on `server`.
    public static func generate(on server: MariaDBServerProcess, users: Int, seed: UInt64 = 1) throws -> Generated {
        let builder = try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: server))
        return try builder.fillGenerated(users: users, seed: seed)
    }

    /// Fills a fresh database (ids start at 1) as `generate` describes, in one transaction.
    private func fillGenerated(users: Int, seed: UInt64) throws -> Generated {
        try addNameFormat(format: Self.generatedNameFormat, states: ["Member"])
        let stamp = Self.fixedTimestamp
        let activated = DjangoDateTime.format(Date(timeIntervalSince1970: 1_717_243_200.123456))
        let (userPKs, linked, withMain) = try write { db in
            var random = SplitMix64(seed: seed)
            var groupIDs: [Int64] = []
            for name in Self.generatedGroupPool { groupIDs.append(try Self.groupID(db, name)) }
            var userRows: [[MariaDBValue]] = [], characterRows: [[MariaDBValue]] = [], profileRows: [[MariaDBValue]] = []
            var membershipRows: [[MariaDBValue]] = [], linkRows: [[MariaDBValue]] = []
            var userPKs: [Int64] = [], linked: [Int64] = [], withMain = 0
            userPKs.reserveCapacity(users)
            var characterID: Int64 = 0
            for index in 0..<max(users, 0) {
                let pk = Int64(index + 1)
                userRows.append([.int(pk), .text("member\(index + 1)"), .text(stamp)])
                userPKs.append(pk)
                let stateRoll = random.next(below: 100)
                let stateID: Int64 = stateRoll < 80 ? 3 : stateRoll < 92 ? 2 : 1
                var mainID: Int64?
                if random.next(below: 100) < 95 {
                    characterID += 1
                    characterRows.append([.int(characterID)] + Self.characterArguments(Self.generatedCharacter(pk: pk, random: &random)))
                    mainID = characterID
                    withMain += 1
                }
                profileRows.append([mainID.mariaDBValue, .int(stateID), .int(pk)])
                var chosen = Set<Int>()
                for _ in 0..<random.next(below: 5) { chosen.insert(Int(random.next(below: UInt64(groupIDs.count)))) }
                for groupIndex in chosen.sorted() { membershipRows.append([.int(pk), .int(groupIDs[groupIndex])]) }
                if random.next(below: 100) < 90 {
                    linkRows.append([.int(pk), .int(Self.generatedUIDBase + pk), .text(activated), .text("0"), .text("user\(pk)")])
                    linked.append(pk)
                }
            }
            try db.insertRows(Self.insertUserWithIDSQL, userRows)
            try db.insertRows(Self.insertCharacterWithIDSQL, characterRows)
            try db.insertRows(Self.insertProfileSQL, profileRows)
            try db.insertRows("INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)", membershipRows)
            try db.insertRows(Self.insertLinkSQL, linkRows)
            return (userPKs, linked, withMain)
        }
        return Generated(builder: self, userPKs: userPKs, linkedUserPKs: linked, usersWithMain: withMain)
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

    private static let insertUserWithIDSQL = """
        INSERT INTO auth_user (id, password, last_login, is_superuser, username, last_name, email, is_staff, is_active,
                               date_joined, first_name)
        VALUES (?, '!', NULL, 0, ?, '', '', 0, 1, ?, '')
        """

    private static let insertCharacterWithIDSQL = """
        INSERT INTO eveonline_evecharacter (id, character_id, character_name, corporation_id, corporation_name,
            corporation_ticker, alliance_id, alliance_name, alliance_ticker, faction_id, faction_name, description,
            gender, title)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '', '', '')
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

    private static func characterArguments(_ character: EveCharacterSpec) -> [MariaDBValue] {
        [
            .int(character.characterID), .text(character.characterName), .int(character.corporationID),
            .text(character.corporationName), .text(character.corporationTicker), character.allianceID.mariaDBValue,
            .text(character.allianceName), .text(character.allianceTicker),
        ]
    }

    private static func stateID(_ db: BuilderConnection, _ name: String) throws -> Int64 {
        guard let id = try db.query("SELECT id FROM authentication_state WHERE name = ?", [.text(name)]).first?.first?.int64
        else { throw BuilderError(description: "AADatabaseBuilder: no state named '\(name)'") }
        return id
    }

    /// By exact name (MariaDB's collation compares case- and accent-insensitively; AA's names are unique there too).
    private static func groupID(_ db: BuilderConnection, _ name: String) throws -> Int64 {
        for row in try db.query("SELECT id, name FROM auth_group WHERE name = ?", [.text(name)]) where row[1].string == name {
            if let id = row[0].int64 { return id }
        }
        return try db.execute("INSERT INTO auth_group (name) VALUES (?)", [.text(name)])
    }

    // MARK: - Storage

    private enum Store: Sendable {
        case sqlite(DatabaseQueue)
        case mariaDB(LockedSession)
    }

    /// The builder's root session; reopened after the server restarted (fault tests restart it).
    private final class LockedSession: Sendable {
        let configuration: MariaDBConfiguration
        let mutex = Mutex<MariaDBSession?>(nil)
        init(_ configuration: MariaDBConfiguration) { self.configuration = configuration }

        func transaction<T>(_ body: (MariaDBSession) throws -> T) throws -> T {
            try mutex.withLock { slot in
                for attempt in 1...2 {
                    let session: MariaDBSession
                    if let open = slot {
                        session = open
                    } else {
                        session = try MariaDBSession(configuration)
                        try session.execute(text: "SET FOREIGN_KEY_CHECKS = 0")  // as SQLite's deferred keys: tests may write odd rows
                        slot = session
                    }
                    do {
                        try session.execute(text: "START TRANSACTION")
                    } catch let error as MariaDBError where error.kind == .connectionLost && attempt == 1 {
                        slot = nil
                        continue
                    }
                    do {
                        let value = try body(session)
                        try session.execute(text: "COMMIT")
                        return value
                    } catch {
                        try? session.execute(text: "ROLLBACK")
                        throw error
                    }
                }
                throw BuilderError(description: "AADatabaseBuilder: no connection to \(configuration)")
            }
        }
    }

    /// One transaction on either backend.
    private func write<T>(_ body: (BuilderConnection) throws -> T) throws -> T {
        switch store {
        case .sqlite(let queue):
            return try queue.inDatabase { db in
                var result: T?
                try db.inTransaction {
                    result = try body(SQLiteBuilderConnection(db: db))
                    return .commit
                }
                guard let result else { throw BuilderError(description: "transaction without result") }
                return result
            }
        case .mariaDB(let locked):
            return try locked.transaction { session in try body(MariaDBBuilderConnection(session: session)) }
        }
    }
}

/// The few operations the builder needs, on either backend.
private protocol BuilderConnection {
    /// Runs a statement; returns the last inserted row id.
    func execute(_ sql: String, _ arguments: [MariaDBValue]) throws -> Int64
    func query(_ sql: String, _ arguments: [MariaDBValue]) throws -> [[MariaDBValue]]
    /// Inserts many rows with `sql` (one `VALUES (...)` group): one statement per row on SQLite
    /// (prepared once), multi-row INSERTs on MariaDB.
    func insertRows(_ sql: String, _ rows: [[MariaDBValue]]) throws
}

private struct SQLiteBuilderConnection: BuilderConnection {
    let db: Database

    func execute(_ sql: String, _ arguments: [MariaDBValue]) throws -> Int64 {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
        return db.lastInsertedRowID
    }

    func query(_ sql: String, _ arguments: [MariaDBValue]) throws -> [[MariaDBValue]] {
        try Row.fetchAll(db, sql: sql, arguments: Self.arguments(arguments)).map { row in
            (0..<row.count).map { index in
                switch (row[index] as DatabaseValue).storage {
                case .null: return .null
                case .int64(let value): return .int(value)
                case .double(let value): return .double(value)
                case .string(let value): return .text(value)
                case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                }
            }
        }
    }

    func insertRows(_ sql: String, _ rows: [[MariaDBValue]]) throws {
        let statement = try db.cachedStatement(sql: sql)
        for row in rows { try statement.execute(arguments: Self.arguments(row)) }
    }

    static func arguments(_ values: [MariaDBValue]) -> StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .null: return .null
            case .int(let number): return number.databaseValue
            case .double(let number): return number.databaseValue
            case .text(let text): return text.databaseValue
            }
        })
    }
}

private struct MariaDBBuilderConnection: BuilderConnection {
    let session: MariaDBSession

    func execute(_ sql: String, _ arguments: [MariaDBValue]) throws -> Int64 {
        Int64(try session.run(sql, arguments).insertID)
    }

    func query(_ sql: String, _ arguments: [MariaDBValue]) throws -> [[MariaDBValue]] {
        try session.query(sql, arguments)
    }

    func insertRows(_ sql: String, _ rows: [[MariaDBValue]]) throws {
        guard let first = rows.first, let values = sql.range(of: "VALUES", options: .backwards) else { return }
        let group = sql[values.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        let perStatement = max(1, min(1000, 60_000 / max(first.count, 1)))
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            let text = sql[..<values.upperBound] + " " + Array(repeating: group, count: chunk.count).joined(separator: ",")
            try session.run(String(text), chunk.flatMap { $0 })
            start += perStatement
        }
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
