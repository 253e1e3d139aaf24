import Foundation
import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import Testing
import TestSupport

/// The backends the contract suites run against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, mariadb
    var testDescription: String { rawValue }
}

/// A fresh AA database from the real schema (SQLite in a temporary directory, or a new database
/// on the shared test mariadbd), removed afterwards, with the backend's `HostDatabase` on it.
func withAADatabase<T>(
    _ backend: Backend = .sqlite, _ body: (AADatabaseBuilder, any HostDatabase) async throws -> T
) async throws -> T {
    switch backend {
    case .sqlite:
        return try await withTemporaryDirectory { directory in
            let builder = try AADatabaseBuilder(path: directory + "/aa.db")
            return try await withSQLite(builder.path) { database in try await body(builder, database) }
        }
    case .mariadb:
        let builder = try await AADatabaseBuilder.mariaDB()
        let database = try await openMariaDB(builder)
        return try await withCleanup({
            await database.close()
            try? builder.mariaDB?.drop()
        }) { try await body(builder, database) }
    }
}

/// `SQLiteHostDatabase` on `path` for `body`, closed afterwards (also when `body` throws).
func withSQLite<T>(_ path: String, busyTimeout: Duration = .seconds(5), _ body: (SQLiteHostDatabase) async throws -> T)
    async throws -> T
{
    let database = try SQLiteHostDatabase(path: path, busyTimeout: busyTimeout)
    return try await withCleanup({ await database.close() }) { try await body(database) }
}

/// `MariaDBHostDatabase` on the builder's database, through its DATABASE_URL (escaped password).
func openMariaDB(_ builder: AADatabaseBuilder, poolSize: Int = 2) async throws -> MariaDBHostDatabase {
    guard case .mysql(let endpoint) = try DatabaseURL(parsing: builder.databaseURL).backend else {
        throw TestSupportError("not a mysql URL: \(builder.databaseURL)")
    }
    return try await MariaDBHostDatabase.open(endpoint, poolSize: poolSize)
}
func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hostdb-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}

/// A main character with recognisable values.
func sampleCharacter(_ id: Int64 = 95_465_499, alliance: Bool = true) -> EveCharacterSpec {
    EveCharacterSpec(
        characterID: id, characterName: "Bob Pilot \(id)", corporationID: 98_000_001,
        corporationName: "Bob Corp", corporationTicker: "BOBC",
        allianceID: alliance ? 99_000_001 : nil, allianceName: alliance ? "Bob Alliance" : "",
        allianceTicker: alliance ? "BOBA" : "")
}

/// 2026-11-25 17:20:13.173821 UTC, the timestamp of AA's traced INSERT.
let tracedTimestamp = Date(timeIntervalSince1970: 1_795_627_213.173821)
