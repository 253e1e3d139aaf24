/// The backend-neutral half of the set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)`:
/// the SQL of the three queries (users with link, profile, state and main character; their group names;
/// the tiny nickname format table), the chunks of pks and the assembly of rows into models. Each backend
/// runs the statements inside one read transaction (one consistent snapshot) and hands the rows over.
///
/// With explicit pks, users and groups are read once per chunk of at most 500 sorted unique pks (SQLite's
/// default limit on bound parameters is 999 on old builds); without, in one pass.
public struct ProfileQueryPlan: Sendable {
    /// true: only users with a `discord_discorduser` row (inner join); false: any user.
    public let linkedOnly: Bool

    public static let chunkSize = 500

    public init(linkedOnly: Bool) {
        self.linkedOnly = linkedOnly
    }

    public struct Entry: Sendable {
        public var link: DiscordLink?
        public var profile: SyncProfile
    }

    /// `nil` (one pass over every user) when `pks` is nil, else the sorted unique pks in chunks.
    public static func chunks(_ pks: [Int64]?) -> [[Int64]?] {
        guard let pks else { return [nil] }
        let unique = Array(Set(pks)).sorted()
        return stride(from: 0, to: unique.count, by: chunkSize).map { Array(unique[$0..<min($0 + chunkSize, unique.count)]) }
    }

    /// Every pk the plan covers (linked users only, or all users), ascending: a backend that reads all
    /// users in chunks (bounded memory) lists them first, in the same snapshot.
    public var allPKsSQL: String {
        linkedOnly ? "SELECT user_id FROM discord_discorduser ORDER BY user_id" : "SELECT id FROM auth_user ORDER BY id"
    }

    /// Columns 0…1 auth_user (id, username), 2…6 discord_discorduser, 7…8 state id and name, 9…17 the main
    /// character (id, then the `EveCharacter` fields). One `?` per pk of `chunk`.
    public func usersSQL(_ chunk: [Int64]?) -> String {
        let from = linkedOnly
            ? "discord_discorduser d JOIN auth_user u ON u.id = d.user_id"
            : "auth_user u LEFT JOIN discord_discorduser d ON d.user_id = u.id"
        return """
            SELECT u.id, u.username,
                   d.user_id, d.uid, d.username, d.discriminator, d.activated,
                   p.state_id, s.name,
                   c.id, c.character_id, c.character_name, c.corporation_id, c.corporation_name,
                   c.corporation_ticker, c.alliance_id, c.alliance_name, c.alliance_ticker
            FROM \(from)
            LEFT JOIN authentication_userprofile p ON p.user_id = u.id
            LEFT JOIN authentication_state s ON s.id = p.state_id
            LEFT JOIN eveonline_evecharacter c ON c.id = p.main_character_id
            \(Self.whereIn(linkedOnly ? "d.user_id" : "u.id", chunk))
            ORDER BY u.id
            """
    }

    /// Columns: user_id, group_id, each user's in `auth_user_groups` order. One `?` per pk of `chunk`.
    /// No join with `auth_group` (names come from ``groupNamesSQL``): with the join, MariaDB drove the query
    /// from the handful of groups and walked every membership of each for every chunk (38 s for 100,000
    /// users); on its own the table is read through its user_id index.
    public func groupsSQL(_ chunk: [Int64]?) -> String {
        let filter = chunk != nil
            ? Self.whereIn("ug.user_id", chunk)
            : linkedOnly ? "WHERE ug.user_id IN (SELECT user_id FROM discord_discorduser)" : ""
        return """
            SELECT ug.user_id, ug.group_id FROM auth_user_groups ug
            \(filter)
            ORDER BY ug.user_id, ug.id
            """
    }

    /// Columns: id, name of every group (a few dozen rows in AA).
    public static let groupNamesSQL = "SELECT id, name FROM auth_group"

    /// `group id → name` from the rows of ``groupNamesSQL``.
    public static func groupNames(_ rows: some Sequence<some HostRowReading>) throws(HostDatabaseError) -> [Int64: String] {
        var names: [Int64: String] = [:]
        for row in rows { names[try row.requiredInt64(0, "id")] = try row.requiredString(1, "name") }
        return names
    }

    /// Columns: state_id, format of the Discord name format configs, by config id.
    public static let nicknameFormatsSQL = """
        SELECT fs.state_id, f.format FROM services_nameformatconfig f
        JOIN services_nameformatconfig_states fs ON fs.nameformatconfig_id = f.id
        WHERE f.service_name = 'discord'
        ORDER BY f.id
        """

    /// `state_id → format` from the rows of ``nicknameFormatsSQL``, the lowest config id winning when a
    /// state has several (AA takes "the first row" without ORDER BY).
    public static func nicknameFormats(_ rows: some Sequence<some HostRowReading>) throws(HostDatabaseError) -> [Int64: String] {
        var formats: [Int64: String] = [:]
        for row in rows {
            let stateID = try row.requiredInt64(0, "state_id")
            if formats[stateID] == nil { formats[stateID] = try row.requiredString(1, "format") }
        }
        return formats
    }

    private static func whereIn(_ column: String, _ values: [Int64]?) -> String {
        guard let values else { return "" }
        guard !values.isEmpty else { return "WHERE 0" }
        return "WHERE \(column) IN (" + Array(repeating: "?", count: values.count).joined(separator: ",") + ")"
    }

    /// The entries read so far, in user order, each user's groups in `auth_user_groups` order.
    public struct Assembly {
        public private(set) var entries: [Entry] = []
        private var indexByPK: [Int64: Int] = [:]

        public init() {}

        /// Whether no user was read yet (then the group query can be skipped).
        public var isEmpty: Bool { indexByPK.isEmpty }

        /// Adds one row of ``usersSQL(_:)``; `columns(table)` reads the row, naming `table` in errors.
        public mutating func addUser<Reader: HostRowReading>(
            formats: [Int64: String], _ columns: (String) -> Reader
        ) throws(HostDatabaseError) {
            let user = columns("auth_user")
            let pk = try user.requiredInt64(0, "id")
            let link = user.isNull(2) ? nil : try columns("discord_discorduser").discordLink(at: 2)
            let stateID = user.int64(7)
            let character = columns("eveonline_evecharacter")
            let profile = SyncProfile(
                userPK: pk,
                username: try user.requiredString(1, "username"),
                groupNames: [],
                stateID: stateID,
                stateName: user.string(8),
                mainCharacter: user.isNull(9) ? nil : EveCharacter(
                    characterID: try character.requiredInt64(10, "character_id"),
                    characterName: try character.requiredString(11, "character_name"),
                    corporationID: character.int64(12) ?? 0,
                    corporationName: character.string(13) ?? "",
                    corporationTicker: character.string(14) ?? "",
                    allianceID: character.int64(15),
                    allianceName: character.string(16) ?? "",
                    allianceTicker: character.string(17) ?? ""),
                nicknameFormat: stateID.flatMap { formats[$0] })
            indexByPK[pk] = entries.count
            entries.append(Entry(link: link, profile: profile))
        }

        /// Adds one row of ``groupsSQL(_:)`` to its user (rows of users not read are ignored), the group's
        /// name from `names` (``groupNames(_:)``, read in the same snapshot).
        public mutating func addGroup<Reader: HostRowReading>(
            names: [Int64: String], _ columns: (String) -> Reader
        ) throws(HostDatabaseError) {
            let row = columns("auth_user_groups")
            guard let index = indexByPK[try row.requiredInt64(0, "user_id")] else { return }
            guard let name = names[try row.requiredInt64(1, "group_id")] else {
                throw HostDatabaseError(.unexpectedValue, "auth_user_groups names a group that auth_group does not have")
            }
            entries[index].profile.groupNames.append(name)
        }
    }
}
