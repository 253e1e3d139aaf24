import CBuildInfo
import CurlHTTP
import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import RedisClient
import WorkerRuntime

/// This build's `VersionInfo`. Each C library's version comes from the one module that owns it.
enum BuildInfo {
    /// The release. deploy/package.sh names the artifacts after it (it asks the built binary).
    static let version = "0.1.0"

    /// The git commit, set at build time through DISCORD_WORKER_GIT_COMMIT (see Package.swift).
    static let commit = String(cString: cbuildinfo_git_commit())

    static let current = VersionInfo(
        version: version, commit: commit, swift: swiftVersion,
        libraries: [
            .init(name: "hiredis", version: RedisClient.libraryVersion),
            .init(name: "libcurl", version: CurlHTTPClient.libraryVersion),
            .init(name: "sqlite", version: SQLiteHostDatabase.libraryVersion),
            .init(name: "mariadb-connector-c", version: MariaDBHostDatabase.libraryVersion),
        ])

    /// The compiler that built this binary (Swift has no run-time query for it).
    static let swiftVersion: String = {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4.3)
        return "6.4.3"
        #elseif compiler(>=6.4.2)
        return "6.4.2"
        #elseif compiler(>=6.4.1)
        return "6.4.1"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3.3)
        return "6.3.3"
        #elseif compiler(>=6.3.2)
        return "6.3.2"
        #elseif compiler(>=6.3.1)
        return "6.3.1"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1 or earlier"
        #endif
    }()
}
