/// Reads the columns of one result row of either backend without conversion traps: a NULL or a value
/// of the wrong type in a required column becomes a `HostDatabaseError`, never a crash.
public protocol HostRowReading {
    /// The table the columns come from (named in errors).
    var table: String { get }
    func int64(_ index: Int) -> Int64?
    func string(_ index: Int) -> String?
    func isNull(_ index: Int) -> Bool
}

extension HostRowReading {
    public func requiredInt64(_ index: Int, _ column: String) throws(HostDatabaseError) -> Int64 {
        guard let value = int64(index) else { throw unexpected(index, column, "an integer") }
        return value
    }

    public func requiredString(_ index: Int, _ column: String) throws(HostDatabaseError) -> String {
        guard let value = string(index) else { throw unexpected(index, column, "text") }
        return value
    }

    private func unexpected(_ index: Int, _ column: String, _ expected: String) -> HostDatabaseError {
        let found = isNull(index) ? "NULL" : "a value of another type"
        return HostDatabaseError(.unexpectedValue, "\(table).\(column) is \(found), expected \(expected)")
    }

    /// A `discord_discorduser` row from column `first` on: user_id, uid, username, discriminator, activated.
    public func discordLink(at first: Int) throws(HostDatabaseError) -> DiscordLink {
        DiscordLink(
            userPK: try requiredInt64(first, "user_id"),
            uid: try requiredInt64(first + 1, "uid"),
            username: try requiredString(first + 2, "username"),
            discriminator: try requiredString(first + 3, "discriminator"),
            activated: string(first + 4).flatMap(DjangoDateTime.parse))
    }
}
