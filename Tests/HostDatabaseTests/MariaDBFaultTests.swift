import Foundation
import HostDatabase
import HostDatabaseMariaDB
import MariaDBClient
import Testing
import TestSupport

/// MariaDBHostDatabase against a real mariadbd under faults: restarts, killed and timed-out
/// connections, an unreachable server, and the start-up errors an operator can make.
@Suite struct MariaDBFaultTests {
    private func endpoint(_ url: String) throws -> MySQLEndpoint {
        guard case .mysql(let endpoint) = try DatabaseURL(parsing: url).backend else { throw TestSupportError("not mysql") }
        return endpoint
    }

    private func open(_ url: String) async throws -> MariaDBHostDatabase {
        try await MariaDBHostDatabase.open(try endpoint(url), poolSize: 2)
    }

    /// The database on `url` for `body`, closed afterwards (also when `body` throws).
    private func withOpen<T>(_ url: String, poolSize: Int = 2, _ body: (MariaDBHostDatabase) async throws -> T) async throws -> T {
        let database = try await MariaDBHostDatabase.open(try endpoint(url), poolSize: poolSize)
        return try await withCleanup({ await database.close() }) { try await body(database) }
    }

    /// The worker account's connections as the server lists them.
    private func workerConnectionIDs(_ server: MariaDBServerProcess) throws -> [Int64] {
        try server.asRoot { root in
            try root.query("SELECT id FROM information_schema.processlist WHERE user = ?", [.text(MariaDBServerProcess.user)])
                .compactMap { $0.first?.int64 }
        }
    }

    @Test func aServerRestartIsReconnectedAndAnOutageIsTransient() async throws {
        try await withMariaDB { server in
            let builder = try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: server))
            let pk = try builder.addUser(username: "a", groups: ["G"], discordUID: 5)
            try await withOpen(builder.databaseURL) { database in
                #expect(try await database.linkedUsers(pks: nil).count == 1)

                try await server.restart()
                #expect(try await database.linkedUsers(pks: nil).count == 1, "reads reconnect after a restart")
                try await database.upsertDiscordLink(userPK: pk, uid: 6, username: "n", discriminator: "0", activated: tracedTimestamp)

                await server.kill()
                let error = await #expect(throws: HostDatabaseError.self) { try await database.discordLink(userPK: pk) }
                #expect(error?.code == .unavailable)
                #expect(error?.isTransient == true)
                #expect(error?.description.contains(MariaDBServerProcess.password) == false)
                await #expect(throws: HostDatabaseError.self) { try await database.ping() }

                try await server.startAgain()
                #expect(try await database.discordLink(userPK: pk)?.uid == 6, "the committed upsert survived the crash")
                try await database.addNotification(userPK: pk, .discordAccountDisabled, at: tracedTimestamp)
                #expect(try builder.notifications(userPK: pk).count == 1)
                try await database.ping()
            }
        }
    }

    /// On a private server: it changes the global wait_timeout and kills every connection of the account.
    @Test func killedAndTimedOutConnectionsAreReplaced() async throws {
        try await withMariaDB { server in try await killedAndTimedOut(server) }
    }

    private func killedAndTimedOut(_ server: MariaDBServerProcess) async throws {
        let builder = try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: server))
        let pk = try builder.addUser(username: "a", discordUID: 5)
        try await withOpen(builder.databaseURL) { database in
            #expect(try await database.user(pk: pk)?.username == "a")

            // KILL every connection of the worker account (a DBA, a failover, a proxy restart).
            let ids = try workerConnectionIDs(server)
            #expect(!ids.isEmpty)
            for id in ids { _ = try server.asRoot { try $0.run("KILL ?", [.int(id)]) } }
            #expect(try await database.updateDiscordUsername(userPK: pk, username: "after-kill", discriminator: "0"))
            #expect(try builder.storedDiscordLink(userPK: pk)?.username == "after-kill")
        }

        // wait_timeout: the server drops idle connections; the next use reconnects.
        try await withOpen(builder.databaseURL, poolSize: 1) { timedOut in
            let before = try workerConnectionIDs(server)
            _ = try server.asRoot { root in
                try root.execute(text: "SET GLOBAL wait_timeout = 1")
            }
            // A fresh connection picks the short timeout up.
            await timedOut.close()
            #expect(try await timedOut.user(pk: pk) != nil)
            let idle = Set(try workerConnectionIDs(server)).subtracting(before)
            #expect(!idle.isEmpty)
            try await waitUntil(timeout: .seconds(20), "the server to drop the idle connection") {
                Set(try workerConnectionIDs(server)).isDisjoint(with: idle)
            }
            #expect(try await timedOut.user(pk: pk)?.username == "a")
            #expect(try await timedOut.discordLink(userPK: pk)?.username == "after-kill")
        }
    }

    /// `?socket=` connects through the unix socket (the password still percent-escaped).
    @Test func aUnixSocketURLConnects() async throws {
        let server = try await MariaDBServerProcess.shared()
        let builder = try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: server))
        defer { try? builder.mariaDB?.drop() }
        try builder.addUser(username: "a", discordUID: 5)
        let url = "mysql://\(MariaDBServerProcess.user):\(MariaDBServerProcess.escapedPassword)@localhost/"
            + "\(try #require(builder.mariaDB).name)?socket=\(server.socketPath)"
        try await withOpen(url) { (database: MariaDBHostDatabase) async throws in
            #expect(try await database.linkedUsers(pks: nil).count == 1)
            #expect(try await database.serverVersion().hasPrefix("10.11"))
        }
    }

    @Test func startUpErrorsNameDATABASE_URLAndSayWhatToDo() async throws {
        let server = try await MariaDBServerProcess.shared()
        let db = try MariaDBAADatabase.create(on: server)
        let empty = try MariaDBAADatabase.create(on: server, withSchema: false)
        defer { try? db.drop(); try? empty.drop() }
        try server.asRoot { root in
            try root.execute(text: "CREATE USER IF NOT EXISTS 'nogrant'@'%' IDENTIFIED BY 'hunter2'")
            try root.execute(text: "CREATE USER IF NOT EXISTS 'readonly'@'%' IDENTIFIED BY 'hunter2'")
            try root.execute(text: "GRANT SELECT ON `\(db.name)`.* TO 'readonly'@'%'")
        }
        let base = "127.0.0.1:\(server.port)"
        let cases: [(String, HostDatabaseError.Code, String)] = [
            ("mysql://\(MariaDBServerProcess.user):wrong%40pw@\(base)/\(db.name)", .accessDenied, "check the user and password"),
            ("mysql://\(MariaDBServerProcess.user):\(MariaDBServerProcess.escapedPassword)@\(base)/no_such_db", .accessDenied, "lacks privileges"),
            ("mysql://root@\(base)/no_such_db?socket=\(server.socketPath)", .databaseNotFound, "unknown database 'no_such_db'"),
            ("mysql://nogrant:hunter2@\(base)/\(db.name)", .accessDenied, "GRANT SELECT, INSERT, UPDATE, DELETE"),
            ("mysql://\(MariaDBServerProcess.user):\(MariaDBServerProcess.escapedPassword)@\(base)/\(empty.name)", .schemaMismatch, "run Alliance Auth's migrations"),
            ("mysql://u:hunter2@127.0.0.1:\(try Loopback.freePort())/x", .unavailable, "cannot reach the database server"),
        ]
        _ = try server.asRoot { try $0.run("GRANT SELECT ON `\(empty.name)`.* TO '\(MariaDBServerProcess.user)'@'%'") }
        for (url, code, advice) in cases {
            let error = await #expect(throws: HostDatabaseError.self, "\(url)") { try await open(url) }
            #expect(error?.code == code, "\(url): \(String(describing: error))")
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("DATABASE_URL"), "\(text)")
            #expect(text.contains(advice), "\(text)")
            #expect(!text.contains("hunter2") && !text.contains("wrong") && !text.contains(MariaDBServerProcess.password), "\(text)")
            #expect(!text.contains("\n"))
        }

        // Missing write privileges show at the first write, with the same kind of line.
        try await withOpen("mysql://readonly:hunter2@\(base)/\(db.name)") { readOnly in
            let error = await #expect(throws: HostDatabaseError.self) {
                try await readOnly.upsertDiscordLink(userPK: 1, uid: 1, username: "x", discriminator: "0", activated: tracedTimestamp)
            }
            #expect(error?.code == .accessDenied)
            #expect(error?.description.contains("GRANT SELECT, INSERT, UPDATE, DELETE") == true)
        }
    }
}
