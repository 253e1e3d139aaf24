import HostDatabase
import MariaDBClient

/// The set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)` on MariaDB: the statements
/// and row assembly of `ProfileQueryPlan` (shared with the SQLite backend), run inside the caller's
/// snapshot transaction, in chunks of `ProfileQueryPlan.chunkSize` users.
struct MariaDBProfileQuery {
    let plan: ProfileQueryPlan

    init(linkedOnly: Bool) {
        plan = ProfileQueryPlan(linkedOnly: linkedOnly)
    }

    func fetch(_ session: MariaDBSession, pks: [Int64]?) throws -> [ProfileQueryPlan.Entry] {
        let formatRows = try session.query(ProfileQueryPlan.nicknameFormatsSQL)
        let formats = try ProfileQueryPlan.nicknameFormats(
            formatRows.map { MariaDBRowReader(row: $0, table: "services_nameformatconfig") })
        let groupNames = try ProfileQueryPlan.groupNames(
            session.query(ProfileQueryPlan.groupNamesSQL).map { MariaDBRowReader(row: $0, table: "auth_group") })
        var assembly = ProfileQueryPlan.Assembly()
        // All users: their pks first, then chunk by chunk, all in the caller's one snapshot. One pass would
        // hold every row twice at once (Connector/C's stored result and its Swift copy): at 100,000 users
        // that took the worker to 250 MB, chunks keep it at the size of the result.
        let chunks = try pks.map(ProfileQueryPlan.chunks)
            ?? ProfileQueryPlan.chunks(try session.query(plan.allPKsSQL).compactMap { $0.first?.int64 })
        for chunk in chunks {
            let arguments: [MariaDBValue] = (chunk ?? []).map { .int($0) }
            for row in try session.query(plan.usersSQL(chunk), arguments) {
                try assembly.addUser(formats: formats) { MariaDBRowReader(row: row, table: $0) }
            }
            guard !assembly.isEmpty else { continue }
            for row in try session.query(plan.groupsSQL(chunk), arguments) {
                try assembly.addGroup(names: groupNames) { MariaDBRowReader(row: row, table: $0) }
            }
        }
        return assembly.entries
    }
}

/// Reads columns of a MariaDB row (see `HostRowReading`).
struct MariaDBRowReader: HostRowReading {
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

    func isNull(_ index: Int) -> Bool {
        row[index].isNull
    }
}
