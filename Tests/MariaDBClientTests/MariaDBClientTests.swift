import Foundation
import Logging
import MariaDBClient
import Testing
import TestSupport

/// MariaDBClient against a real mariadbd (TestSupport's shared test server).
@Suite struct MariaDBClientTests {
    private func database() async throws -> MariaDBAADatabase {
        try MariaDBAADatabase.create(on: try await MariaDBServerProcess.shared())
    }

    /// A pool on `db` for `body`, closed afterwards (also when `body` throws).
    private func withPool(_ db: MariaDBAADatabase, size: Int, _ body: (MariaDBPool) async throws -> Void) async throws {
        let pool = MariaDBPool(configuration: db.configuration, size: size, logger: Logger(label: "test"))
        try await withCleanup({ await pool.close() }) { try await body(pool) }
    }

    @Test func valuesRoundTripThroughBoundParameters() async throws {
        let db = try await database()
        defer { try? db.drop() }
        try await withPool(db, size: 2) { pool in
            let name = "Fleet 🚀 Ωmega ' \" \\ ; DROP TABLE auth_group; --"
            let rows = try await pool.write(idempotent: false) { session in
                let insert = try session.run("INSERT INTO auth_group (name) VALUES (?)", [.text(name)])
                #expect(insert.affectedRows == 1)
                #expect(insert.insertID > 0)
                return try session.query(
                    "SELECT id, name, CAST(? AS DATETIME(6)), ?, ?, NULL FROM auth_group WHERE name = ?",
                    [.text("2026-11-25 17:20:13.173821"), .int(Int64.min), .double(1.5), .text(name)])
            }
            #expect(rows.count == 1)
            #expect(rows[0][1] == .text(name))
            #expect(rows[0][2] == .text("2026-11-25 17:20:13.173821"))
            #expect(rows[0][3] == .int(Int64.min))
            #expect(rows[0][4] == .double(1.5))
            #expect(rows[0][5] == .null)
            let longText = String(repeating: "é", count: 100_000)
            let echoed = try await pool.read { session in try session.query("SELECT ?", [.text(longText)]) }
            #expect(echoed[0][0] == .text(longText))
            let zone = try await pool.read { session in try session.query("SELECT @@session.time_zone, @@character_set_client") }
            #expect(zone[0] == [.text("+00:00"), .text("utf8mb4")])
        }
    }

    @Test func serverErrorsCarryNumberSQLStateAndKind() async throws {
        let db = try await database()
        defer { try? db.drop() }
        var wrongPassword = db.configuration
        wrongPassword.password = "nope"
        let denied = #expect(throws: MariaDBError.self) { try MariaDBSession(wrongPassword) }
        #expect(denied?.number == 1045)
        #expect(denied?.kind == .permanent)
        #expect(denied?.description.contains("nope") == false)

        var unknown = db.configuration
        unknown.database = "no_such_db"
        let notThere = #expect(throws: MariaDBError.self) { try MariaDBSession(unknown) }
        #expect(notThere?.number == 1044 || notThere?.number == 1049)

        var closedPort = db.configuration
        closedPort.port = try Loopback.freePort()
        let unreachable = #expect(throws: MariaDBError.self) { try MariaDBSession(closedPort) }
        #expect(unreachable?.kind == .connectionLost)
        #expect(unreachable?.phase == .connect)

        let session = try MariaDBSession(db.configuration)
        let missing = #expect(throws: MariaDBError.self) { try session.query("SELECT * FROM no_such_table") }
        #expect(missing?.number == 1146)
        #expect(missing?.sqlState == "42S02")
        let privilege = #expect(throws: MariaDBError.self) { try session.run("DROP TABLE auth_group") }
        #expect(privilege?.number == 1142)
        session.close()
    }

    @Test func poolReconnectsAfterItsConnectionIsKilled() async throws {
        let db = try await database()
        defer { try? db.drop() }
        try await withPool(db, size: 1) { pool in
            let first = try await pool.withSession { session in session.connectionID }
            _ = try db.asRoot { root in try root.run("KILL ?", [.int(Int64(first))]) }
            let second = try await pool.read { session in
                (session.connectionID, try session.query("SELECT COUNT(*) FROM auth_user")[0][0])
            }
            #expect(second.0 != first)
            #expect(second.1 == .int(0))
        }
    }

    @Test func poolNeverOpensMoreThanItsSize() async throws {
        let db = try await database()
        defer { try? db.drop() }
        try await withPool(db, size: 2) { pool in
            let ids = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await pool.read { session in
                        _ = try session.query("SELECT SLEEP(0.05)")
                        return session.connectionID
                    } }
                }
                return try await group.reduce(into: Set<UInt64>()) { $0.insert($1) }
            }
            #expect(ids.count <= 2)
        }
    }
}
