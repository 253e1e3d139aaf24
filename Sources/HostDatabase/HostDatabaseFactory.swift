public import Logging

/// Opens the `HostDatabase` a `DatabaseURL` names.
public enum HostDatabaseFactory {
    /// Synchronous (it opens connections): call it at start-up.
    public static func open(
        _ url: DatabaseURL, busyTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "HostDatabase")
    ) throws -> any HostDatabase {
        switch url.backend {
        case .sqlite(let path):
            return try SQLiteHostDatabase(path: path, busyTimeout: busyTimeout, logger: logger)
        case .mysql:
            throw HostDatabaseError(
                .unsupportedBackend,
                "DATABASE_URL \(url): MySQL/MariaDB support is not built yet; use an sqlite:// URL for now")
        }
    }
}
