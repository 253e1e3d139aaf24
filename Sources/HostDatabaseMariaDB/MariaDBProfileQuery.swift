import HostDatabase
import MariaDBClient

/// The set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)` on MariaDB: the same
/// three queries as the SQLite backend's `ProfileQuery` (Sources/HostDatabaseSQLite/ProfileQuery.swift),
/// run inside the caller's snapshot transaction. With explicit pks, chunks of 500.
struct MariaDBProfileQuery {
    let linkedOnly: Bool

    static let chunkSize = 500

    struct Entry {
        var link: DiscordLink?
        var profile: SyncProfile
    }

    func fetch(_ session: MariaDBSession, pks: [Int64]?) throws -> [Entry] {
        let formats = try nicknameFormatsByState(session)
        var entries: [Entry] = []
        var indexByPK: [Int64: Int] = [:]
        if let pks {
            let unique = Array(Set(pks)).sorted()
            var start = 0
            while start < unique.count {
                let chunk = Array(unique[start..<min(start + Self.chunkSize, unique.count)])
                try fetchUsers(session, chunk: chunk, formats: formats, into: &entries, indexByPK: &indexByPK)
                try fetchGroups(session, chunk: chunk, into: &entries, indexByPK: indexByPK)
                start += Self.chunkSize
            }
        } else {
            try fetchUsers(session, chunk: nil, formats: formats, into: &entries, indexByPK: &indexByPK)
            try fetchGroups(session, chunk: nil, into: &entries, indexByPK: indexByPK)
        }
        return entries
    }

    private func fetchUsers(
        _ session: MariaDBSession, chunk: [Int64]?, formats: [Int64: String], into entries: inout [Entry],
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
        for row in try session.query(sql, (chunk ?? []).map { .int($0) }) {
            let user = MariaDBRowReader(row: row, table: "auth_user")
            let pk = try user.requiredInt64(0, "id")
            let link = row[2].isNull
                ? nil : try MariaDBHostDatabase.decodeLink(MariaDBRowReader(row: row, table: "discord_discorduser"), at: 2)
            let stateID = user.int64(7)
            let character = MariaDBRowReader(row: row, table: "eveonline_evecharacter")
            let profile = SyncProfile(
                userPK: pk,
                username: try user.requiredString(1, "username"),
                groupNames: [],
                stateID: stateID,
                stateName: user.string(8),
                mainCharacter: row[9].isNull ? nil : EveCharacter(
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
    }

    private func fetchGroups(
        _ session: MariaDBSession, chunk: [Int64]?, into entries: inout [Entry], indexByPK: [Int64: Int]
    ) throws {
        guard !indexByPK.isEmpty else { return }
        let filter = chunk != nil
            ? Self.whereIn("ug.user_id", chunk)
            : linkedOnly ? "WHERE ug.user_id IN (SELECT user_id FROM discord_discorduser)" : ""
        let sql = """
            SELECT ug.user_id, g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
            \(filter)
            ORDER BY ug.id
            """
        for row in try session.query(sql, (chunk ?? []).map { .int($0) }) {
            guard let index = indexByPK[try MariaDBRowReader(row: row, table: "auth_user_groups").requiredInt64(0, "user_id")]
            else { continue }
            entries[index].profile.groupNames.append(try MariaDBRowReader(row: row, table: "auth_group").requiredString(1, "name"))
        }
    }

    /// `state_id → format`, the lowest config id winning (as the SQLite backend).
    private func nicknameFormatsByState(_ session: MariaDBSession) throws -> [Int64: String] {
        let rows = try session.query("""
            SELECT fs.state_id, f.format FROM services_nameformatconfig f
            JOIN services_nameformatconfig_states fs ON fs.nameformatconfig_id = f.id
            WHERE f.service_name = 'discord'
            ORDER BY f.id
            """)
        var formats: [Int64: String] = [:]
        for row in rows {
            let reader = MariaDBRowReader(row: row, table: "services_nameformatconfig")
            let stateID = try reader.requiredInt64(0, "state_id")
            if formats[stateID] == nil { formats[stateID] = try reader.requiredString(1, "format") }
        }
        return formats
    }

    private static func whereIn(_ column: String, _ values: [Int64]?) -> String {
        guard let values else { return "" }
        guard !values.isEmpty else { return "WHERE 0" }
        return "WHERE \(column) IN (" + Array(repeating: "?", count: values.count).joined(separator: ",") + ")"
    }
}

/// Reads columns of a MariaDB row: NULL or a wrong type in a required column is a `HostDatabaseError`.
struct MariaDBRowReader {
    let row: [MariaDBValue]
    let table: String

    func int64(_ index: Int) -> Int64? {
        if case .int(let value) = row[index] { return value }
        return nil
    }

    func string(_ index: Int) -> String? {
        if case .text(let value) = row[index] { return value }
        return nil
    }

    func requiredInt64(_ index: Int, _ column: String) throws -> Int64 {
        guard let value = int64(index) else { throw unexpected(index, column, "an integer") }
        return value
    }

    func requiredString(_ index: Int, _ column: String) throws -> String {
        guard let value = string(index) else { throw unexpected(index, column, "text") }
        return value
    }

    private func unexpected(_ index: Int, _ column: String, _ expected: String) -> HostDatabaseError {
        let found = row[index].isNull ? "NULL" : "a value of another type"
        return HostDatabaseError(.unexpectedValue, "\(table).\(column) is \(found), expected \(expected)")
    }
}
