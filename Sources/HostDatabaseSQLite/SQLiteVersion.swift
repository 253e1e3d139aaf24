import GRDB

extension SQLiteHostDatabase {
    /// The SQLite library the process runs with (`sqlite3_libversion_number`, read at run time), e.g. "3.40.1".
    public static var libraryVersion: String {
        let number = Int(Database.sqliteLibVersionNumber)
        return "\(number / 1_000_000).\(number / 1_000 % 1_000).\(number % 1_000)"
    }
}
