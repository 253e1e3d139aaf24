import MariaDBClient

extension MariaDBHostDatabase {
    /// The MariaDB Connector/C library the process runs with, e.g. "3.3.8".
    public static var libraryVersion: String { MariaDBSession.libraryVersion }
}
