import GRDB
import HostDatabase

/// The set-based reads behind `syncProfile(userPK:)` and `linkedUsers(pks:)` on SQLite: the statements
/// and row assembly of `ProfileQueryPlan`, run inside the caller's read transaction (one snapshot).
struct ProfileQuery {
    let plan: ProfileQueryPlan

    init(linkedOnly: Bool) {
        plan = ProfileQueryPlan(linkedOnly: linkedOnly)
    }

    func fetch(_ db: Database, pks: [Int64]?) throws -> [ProfileQueryPlan.Entry] {
        let formatRows = try Row.fetchAll(db.cachedStatement(sql: ProfileQueryPlan.nicknameFormatsSQL))
        let formats = try ProfileQueryPlan.nicknameFormats(formatRows.map { RowReader(row: $0, table: "services_nameformatconfig") })
        let groupNames = try ProfileQueryPlan.groupNames(
            Row.fetchAll(db.cachedStatement(sql: ProfileQueryPlan.groupNamesSQL)).map { RowReader(row: $0, table: "auth_group") })
        var assembly = ProfileQueryPlan.Assembly()
        for chunk in ProfileQueryPlan.chunks(pks) {
            let arguments = StatementArguments(chunk ?? [])
            let users = try Row.fetchCursor(db.cachedStatement(sql: plan.usersSQL(chunk)), arguments: arguments)
            while let row = try users.next() {
                try assembly.addUser(formats: formats) { RowReader(row: row, table: $0) }
            }
            guard !assembly.isEmpty else { continue }
            let groups = try Row.fetchCursor(db.cachedStatement(sql: plan.groupsSQL(chunk)), arguments: arguments)
            while let row = try groups.next() {
                try assembly.addGroup(names: groupNames) { RowReader(row: row, table: $0) }
            }
        }
        return assembly.entries
    }
}
