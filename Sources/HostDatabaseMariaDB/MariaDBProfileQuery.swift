import HostDatabase
import MariaDBClient

/// The set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)` on MariaDB: the statements
/// and row assembly of `ProfileQueryPlan` (shared with the SQLite backend), run inside the caller's
/// snapshot transaction.
struct MariaDBProfileQuery {
    let plan: ProfileQueryPlan

    init(linkedOnly: Bool) {
        plan = ProfileQueryPlan(linkedOnly: linkedOnly)
    }

    func fetch(_ session: MariaDBSession, pks: [Int64]?) throws -> [ProfileQueryPlan.Entry] {
        let formatRows = try session.query(ProfileQueryPlan.nicknameFormatsSQL)
        let formats = try ProfileQueryPlan.nicknameFormats(
            formatRows.map { MariaDBRowReader(row: $0, table: "services_nameformatconfig") })
        var assembly = ProfileQueryPlan.Assembly()
        for chunk in ProfileQueryPlan.chunks(pks) {
            let arguments: [MariaDBValue] = (chunk ?? []).map { .int($0) }
            for row in try session.query(plan.usersSQL(chunk), arguments) {
                try assembly.addUser(formats: formats) { MariaDBRowReader(row: row, table: $0) }
            }
            guard !assembly.isEmpty else { continue }
            for row in try session.query(plan.groupsSQL(chunk), arguments) {
                try assembly.addGroup { MariaDBRowReader(row: row, table: $0) }
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
