import ArgumentParser
import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import TestSupport

/// Which backend holds the generated AA database of a benchmark or the demo.
enum BenchDatabaseKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    case sqlite, mariadb
}

/// A generated AA database on SQLite (a file in the run's directory) or MariaDB (a private
/// mariadbd started for the run, stopped by `stop()`).
struct BenchDatabase: Sendable {
    let generated: AADatabaseBuilder.Generated
    let server: MariaDBServerProcess?
    /// DATABASE_URL for the worker.
    var url: String { generated.builder.databaseURL }

    static func generate(_ kind: BenchDatabaseKind, users: Int, seed: UInt64, directory: BenchDirectory) async throws
        -> BenchDatabase
    {
        switch kind {
        case .sqlite:
            let generated = try AADatabaseBuilder.generate(path: directory.file("aa.sqlite3"), users: users, seed: seed)
            return BenchDatabase(generated: generated, server: nil)
        case .mariadb:
            let server = try await MariaDBServerProcess.start()
            do {
                return BenchDatabase(generated: try AADatabaseBuilder.generate(on: server, users: users, seed: seed), server: server)
            } catch {
                await server.stop()
                throw error
            }
        }
    }

    /// The worker's view of the database (for computing the desired end state).
    func open() async throws -> any HostDatabase {
        switch try DatabaseURL(parsing: url).backend {
        case .sqlite(let path): return try SQLiteHostDatabase(path: path)
        case .mysql(let endpoint): return try await MariaDBHostDatabase.open(endpoint, poolSize: 1)
        }
    }

    func stop() async {
        await server?.stop()
    }
}
