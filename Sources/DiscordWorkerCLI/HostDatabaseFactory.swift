import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import Logging

/// Opens the `HostDatabase` a `DatabaseURL` names. Lives in the CLI so that only the executable
/// links both backends; the tasks see the protocol only.
enum HostDatabaseFactory {
    /// Opens connections and checks AA's schema: call it at start-up.
    static func open(
        _ url: DatabaseURL, poolSize: Int = MariaDBHostDatabase.defaultPoolSize, busyTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "HostDatabase")
    ) async throws -> any HostDatabase {
        switch url.backend {
        case .sqlite(let path):
            return try SQLiteHostDatabase(path: path, busyTimeout: busyTimeout, logger: logger)
        case .mysql(let endpoint):
            return try await MariaDBHostDatabase.open(endpoint, poolSize: poolSize, logger: logger)
        }
    }
}
