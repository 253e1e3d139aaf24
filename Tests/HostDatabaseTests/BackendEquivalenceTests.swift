import Foundation
import HostDatabase
import HostDatabaseMariaDB
import HostDatabaseSQLite
import MariaDBClient
import Testing
import TestSupport

/// What only a server shows: the same generated data reads the same on both backends, 4-byte
/// characters round-trip, and bulk reads see one snapshot while another client writes.
@Suite struct BackendEquivalenceTests {
    @Test func aGeneratedDatabaseReadsTheSameOnBothBackends() async throws {
        try await withTemporaryDirectory { directory in
            let sqlite = try AADatabaseBuilder.generate(path: directory + "/big.db", users: 3_000, seed: 11)
            let server = try await MariaDBServerProcess.shared()
            let maria = try AADatabaseBuilder.generate(on: server, users: 3_000, seed: 11)
            defer { try? maria.builder.mariaDB?.drop() }
            #expect(maria.userPKs == sqlite.userPKs)
            #expect(maria.linkedUserPKs == sqlite.linkedUserPKs)
            let database = try await openMariaDB(maria.builder)
            try await withSQLite(sqlite.path) { reference in
                let expected = try await reference.linkedUsers(pks: nil)
                let all = try await database.linkedUsers(pks: nil)
                #expect(all == expected)
                #expect(all.contains { $0.profile.groupNames.contains("Fleet Commanders 🚀") })
                #expect(all.contains { $0.profile.groupNames.contains { $0.unicodeScalars.count > 100 } })
                let chunked = try await database.linkedUsers(pks: maria.userPKs.reversed())
                #expect(chunked == expected)
                for pk in maria.userPKs where pk % 211 == 0 {
                    #expect(try await database.syncProfile(userPK: pk) == (try await reference.syncProfile(userPK: pk)))
                }
            }
            await database.close()
        }
    }

    @Test(arguments: Backend.allCases) func fourByteCharactersRoundTrip(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let main = EveCharacterSpec(
                characterID: 90_000_001, characterName: "Ünïcødé 🐉 𝔓𝔦𝔩𝔬𝔱", corporationID: 98_000_001,
                corporationName: "Corp 🏴‍☠️", corporationTicker: "🦊", allianceID: nil, allianceName: "", allianceTicker: "")
            let pk = try builder.addUser(
                username: "émoji😀", groups: ["𝔉𝔩𝔢𝔢𝔱 🚀", "Ωmega"], main: main, discordUID: 42, discordUsername: "名前😀")
            let profile = try #require(try await database.syncProfile(userPK: pk))
            #expect(Set(profile.groupNames) == ["𝔉𝔩𝔢𝔢𝔱 🚀", "Ωmega"])
            #expect(profile.mainCharacter == main)
            #expect(profile.username == "émoji😀")
            #expect(try await database.discordLink(userPK: pk)?.username == "名前😀")
            try await database.upsertDiscordLink(
                userPK: pk, uid: 43, username: "🎮gamer🎮", discriminator: "0", activated: tracedTimestamp)
            #expect(try builder.storedDiscordLink(userPK: pk)?.username == "🎮gamer🎮")
            try await database.addNotification(
                userPK: pk, level: .info, title: "Tïtle 🚀", message: "Mëssage 🐉", at: tracedTimestamp)
            let stored = try #require(try builder.notifications(userPK: pk).first)
            #expect(stored.title == "Tïtle 🚀")
            #expect(stored.message == "Mëssage 🐉")
            #expect(stored.timestamp == "2026-11-25 17:20:13.173821")
        }
    }

    /// AA's web process moves users between two groups (one transaction each) while the worker
    /// reads all linked users: every read sees each user in exactly one of the groups.
    @Test func bulkReadsSeeOneSnapshotWhileAAWrites() async throws {
        try await withAADatabase(.mariadb) { builder, database in
            try builder.addGroup("Alpha")
            try builder.addGroup("Beta")
            var pks: [Int64] = []
            for index in 0..<200 {
                pks.append(try builder.addUser(username: "u\(index)", groups: ["Alpha"], discordUID: Int64(1000 + index)))
            }
            let db = try #require(builder.mariaDB)
            let writer = Task.detached {
                let session = try MariaDBSession(db.configuration)
                defer { session.close() }
                let groups = try session.query("SELECT id, name FROM auth_group WHERE name IN ('Alpha', 'Beta')")
                let alpha = groups.first { $0[1] == .text("Alpha") }![0], beta = groups.first { $0[1] == .text("Beta") }![0]
                var moves = 0
                while !Task.isCancelled {
                    let pk = MariaDBValue.int(pks[moves % pks.count])
                    let (from, to) = moves / pks.count % 2 == 0 ? (alpha, beta) : (beta, alpha)
                    try session.execute(text: "START TRANSACTION")
                    try session.run("DELETE FROM auth_user_groups WHERE user_id = ? AND group_id = ?", [pk, from])
                    try session.run("INSERT INTO auth_user_groups (user_id, group_id) VALUES (?, ?)", [pk, to])
                    try session.execute(text: "COMMIT")
                    moves += 1
                }
                return moves
            }
            var reads = 0
            while reads < 15 {
                let users = try await database.linkedUsers(pks: nil)
                #expect(users.count == 200)
                for user in users {
                    let groups = Set(user.profile.groupNames).intersection(["Alpha", "Beta"])
                    #expect(groups.count == 1, "user \(user.userPK) in \(user.profile.groupNames)")
                }
                reads += 1
            }
            writer.cancel()
            let moves = try await writer.value
            #expect(moves > 0)
        }
    }
}
