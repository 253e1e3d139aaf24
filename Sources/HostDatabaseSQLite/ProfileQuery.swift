import GRDB
import HostDatabase

/// The set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)`: one query for users
/// with link, profile, state and main character, one for group names, one for the (tiny) nickname
/// format table. With explicit pks, the first two run once per chunk of at most 500 pks (SQLite's
/// default limit on bound parameters is 999 on old builds). Runs inside one read transaction, so
/// the result is one consistent snapshot.
struct ProfileQuery {
    /// true: only users with a `discord_discorduser` row (inner join); false: any user.
    let linkedOnly: Bool

    static let chunkSize = 500

    struct Entry {
        var link: DiscordLink?
        var profile: SyncProfile
    }

    func fetch(_ db: Database, pks: [Int64]?) throws -> [Entry] {
        let formats = try nicknameFormatsByState(db)
        var entries: [Entry] = []
        var indexByPK: [Int64: Int] = [:]
        if let pks {
            let unique = Array(Set(pks)).sorted()
            var start = 0
            while start < unique.count {
                let chunk = Array(unique[start..<min(start + Self.chunkSize, unique.count)])
                try fetchUsers(db, chunk: chunk, formats: formats, into: &entries, indexByPK: &indexByPK)
                try fetchGroups(db, chunk: chunk, into: &entries, indexByPK: indexByPK)
                start += Self.chunkSize
            }
        } else {
            try fetchUsers(db, chunk: nil, formats: formats, into: &entries, indexByPK: &indexByPK)
            try fetchGroups(db, chunk: nil, into: &entries, indexByPK: indexByPK)
        }
        return entries
    }

    private func fetchUsers(
        _ db: Database, chunk: [Int64]?, formats: [Int64: String], into entries: inout [Entry],
        indexByPK: inout [Int64: Int]
    ) throws {
        let from = linkedOnly
            ? "discord_discorduser d JOIN auth_user u ON u.id = d.user_id"
            : "auth_user u LEFT JOIN discord_discorduser d ON d.user_id = u.id"
        let sql = """
            SELECT u.id, u.username,
                   d.user_id, d.uid, d.username, d.discriminator, d.activated,
                   p.state_id, s.name,
                   c.id, c.character_id, c.character_name, c.corporation_id, c.corporation_name,
                   c.corporation_ticker, c.alliance_id, c.alliance_name, c.alliance_ticker
            FROM \(from)
            LEFT JOIN authentication_userprofile p ON p.user_id = u.id
            LEFT JOIN authentication_state s ON s.id = p.state_id
            LEFT JOIN eveonline_evecharacter c ON c.id = p.main_character_id
            \(Self.whereIn("u.id", chunk))
            ORDER BY u.id
            """
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(chunk ?? []))
        while let row = try cursor.next() {
            let user = RowReader(row: row, table: "auth_user")
            let pk = try user.requiredInt64(0, "id")
            let link = user.isNull(2)
                ? nil : try SQLiteHostDatabase.decodeLink(RowReader(row: row, table: "discord_discorduser"), at: 2)
            let stateID = user.int64(7)
            let profile = SyncProfile(
                userPK: pk,
                username: try user.requiredString(1, "username"),
                groupNames: [],
                stateID: stateID,
                stateName: user.string(8),
                mainCharacter: user.isNull(9) ? nil : try Self.decodeCharacter(RowReader(row: row, table: "eveonline_evecharacter")),
                nicknameFormat: stateID.flatMap { formats[$0] })
            indexByPK[pk] = entries.count
            entries.append(Entry(link: link, profile: profile))
        }
    }

    private func fetchGroups(_ db: Database, chunk: [Int64]?, into entries: inout [Entry], indexByPK: [Int64: Int])
        throws
    {
        guard !indexByPK.isEmpty else { return }
        let filter = chunk != nil
            ? Self.whereIn("ug.user_id", chunk)
            : linkedOnly ? "WHERE ug.user_id IN (SELECT user_id FROM discord_discorduser)" : ""
        let sql = """
            SELECT ug.user_id, g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
            \(filter)
            ORDER BY ug.id
            """
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(chunk ?? []))
        while let row = try cursor.next() {
            let reader = RowReader(row: row, table: "auth_user_groups")
            guard let index = indexByPK[try reader.requiredInt64(0, "user_id")] else { continue }
            entries[index].profile.groupNames.append(try RowReader(row: row, table: "auth_group").requiredString(1, "name"))
        }
    }

    /// `state_id → format` of the Discord name format configs, the lowest config id winning when a
    /// state has several (AA takes "the first row" without ORDER BY).
    private func nicknameFormatsByState(_ db: Database) throws -> [Int64: String] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT fs.state_id, f.format FROM services_nameformatconfig f
                JOIN services_nameformatconfig_states fs ON fs.nameformatconfig_id = f.id
                WHERE f.service_name = 'discord'
                ORDER BY f.id
                """))
        var formats: [Int64: String] = [:]
        for row in rows {
            let reader = RowReader(row: row, table: "services_nameformatconfig")
            let stateID = try reader.requiredInt64(0, "state_id")
            if formats[stateID] == nil { formats[stateID] = try reader.requiredString(1, "format") }
        }
        return formats
    }

    /// Decodes columns 10…17 of the user query.
    private static func decodeCharacter(_ reader: RowReader) throws -> EveCharacter {
        EveCharacter(
            characterID: try reader.requiredInt64(10, "character_id"),
            characterName: try reader.requiredString(11, "character_name"),
            corporationID: reader.int64(12) ?? 0,
            corporationName: reader.string(13) ?? "",
            corporationTicker: reader.string(14) ?? "",
            allianceID: reader.int64(15),
            allianceName: reader.string(16) ?? "",
            allianceTicker: reader.string(17) ?? "")
    }

    private static func whereIn(_ column: String, _ values: [Int64]?) -> String {
        guard let values else { return "" }
        guard !values.isEmpty else { return "WHERE 0" }
        return "WHERE \(column) IN (" + Array(repeating: "?", count: values.count).joined(separator: ",") + ")"
    }
}
