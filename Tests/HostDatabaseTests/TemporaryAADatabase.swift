import Foundation
import HostDatabase
import HostDatabaseSQLite
import TestSupport

/// A fresh AA database from the real schema in its own temporary directory, removed afterwards.
func withAADatabase<T>(
    _ body: (AADatabaseBuilder, SQLiteHostDatabase) async throws -> T
) async throws -> T {
    try await withTemporaryDirectory { directory in
        let builder = try AADatabaseBuilder(path: directory + "/aa.db")
        let database = try SQLiteHostDatabase(path: builder.path)
        return try await body(builder, database)
    }
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
