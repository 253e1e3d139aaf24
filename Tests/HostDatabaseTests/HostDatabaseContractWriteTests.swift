import Foundation
import HostDatabase
import HostDatabaseSQLite
import Testing
import TestSupport

/// The behavioural contract of `HostDatabase`, run against SQLite and a real mariadbd alike.
@Suite struct HostDatabaseContractWriteTests {
    @Test(arguments: Backend.allCases) func updateDiscordUsernameKeepsUIDAndActivatedAndDoesNotTruncate(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a", discordUID: 77, discordUsername: "old", discriminator: "1234")
            let before = try #require(try builder.storedDiscordLink(userPK: pk))
            // 32 code points, 4-byte ones included: fits varchar(32) utf8mb4 exactly.
            let long = String(repeating: "n", count: 30) + "🚀Ω"
            #expect(try await database.updateDiscordUsername(userPK: pk, username: long, discriminator: "0"))
            let after = try #require(try builder.storedDiscordLink(userPK: pk))
            #expect(after.username == long)
            // Same values again: still "a row matched" (MariaDB: CLIENT_FOUND_ROWS, as Django sets it).
            #expect(try await database.updateDiscordUsername(userPK: pk, username: long, discriminator: "0"))
            #expect(after.discriminator == "0")
            #expect(after.uid == before.uid)
            #expect(after.activated == before.activated)
            #expect(try await database.updateDiscordUsername(userPK: pk + 1, username: "x", discriminator: "0") == false)

            // Longer than the column: SQLite stores it as given (AA does not truncate here); MariaDB in
            // its default strict mode refuses it, as it refuses Django's own UPDATE (DataError in AA).
            let tooLong = String(repeating: "n", count: 40)
            switch backend {
            case .sqlite:
                #expect(try await database.updateDiscordUsername(userPK: pk, username: tooLong, discriminator: "0"))
                #expect(try builder.storedDiscordLink(userPK: pk)?.username == tooLong)
            case .mariadb:
                let error = await #expect(throws: HostDatabaseError.self) {
                    try await database.updateDiscordUsername(userPK: pk, username: tooLong, discriminator: "0")
                }
                #expect(error?.code == .queryFailed)
                #expect(try builder.storedDiscordLink(userPK: pk)?.username == long)
            }
        }
    }

    @Test(arguments: Backend.allCases) func deleteDiscordLinkReportsWhetherARowWent(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a", discordUID: 77)
            let other = try builder.addUser(username: "b", discordUID: 78)
            #expect(try await database.deleteDiscordLink(userPK: pk))
            #expect(try builder.storedDiscordLink(userPK: pk) == nil)
            #expect(try await database.deleteDiscordLink(userPK: pk) == false)
            #expect(try builder.storedDiscordLink(userPK: other) != nil)
            #expect(try await database.user(pk: pk) != nil)
        }
    }

    @Test(arguments: Backend.allCases) func upsertInsertsThenUpdatesWithPythonSlicing(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a")
            try await database.upsertDiscordLink(
                userPK: pk, uid: 555, username: "new", discriminator: "0", activated: tracedTimestamp)
            #expect(try builder.storedDiscordLink(userPK: pk) == .init(
                userPK: pk, uid: 555, username: "new", discriminator: "0", activated: "2026-11-25 17:20:13.173821"))

            // 31 ASCII letters + a family emoji of 5 code points: [:32] keeps the first code point only.
            let family = "👨‍👩‍👧"
            let name = String(repeating: "x", count: 31) + family
            try await database.upsertDiscordLink(
                userPK: pk, uid: 556, username: name, discriminator: "123456",
                activated: Date(timeIntervalSince1970: 1_800_000_000))
            let stored = try #require(try builder.storedDiscordLink(userPK: pk))
            #expect(stored.uid == 556)
            #expect(stored.username == String(repeating: "x", count: 31) + "👨")
            #expect(stored.username.unicodeScalars.count == 32)
            #expect(stored.discriminator == "1234")
            #expect(stored.activated == "2027-01-15 08:00:00")
        }
    }

    @Test(arguments: Backend.allCases) func accountDisabledNotificationIsWrittenExactlyAsAADoes(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a")
            try await database.addNotification(userPK: pk, .discordAccountDisabled, at: tracedTimestamp)
            let rows = try builder.notifications(userPK: pk)
            #expect(rows.count == 1)
            #expect(rows[0].level == "warning")
            #expect(rows[0].title == "Discord Account Disabled")
            #expect(rows[0].message == "Your Discord account was disabled automatically by Auth. If you think this was a mistake, please contact an admin.")
            #expect(rows[0].timestamp == "2026-11-25 17:20:13.173821")
            #expect(rows[0].viewed == 0)
            try await database.addNotification(
                userPK: pk, level: .info, title: "t", message: "m", at: Date(timeIntervalSince1970: 1_800_000_000))
            #expect(try builder.notifications(userPK: pk).first?.timestamp == "2027-01-15 08:00:00")
        }
    }

    @Test(arguments: Backend.allCases, [(0, 1, 0), (48, 49, 0), (49, 50, 0), (50, 50, 1), (60, 50, 11)])
    func notificationsArePrunedToFifty(_ backend: Backend, _ counts: (Int, Int, Int)) async throws {
        let (existing, expectedCount, expectedDeleted) = counts
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a")
            let bystander = try builder.addUser(username: "b")
            let base = 1_700_000_000.0
            // Inserted out of time order, half of them with a fraction: pruning goes by timestamp.
            var ids: [(Double, Int64)] = []
            for index in (0..<existing).reversed() {
                let time = base + Double(index) * 60 + (index % 2 == 0 ? 0 : 0.25)
                ids.append((time, try builder.addNotification(userPK: pk, timestamp: Date(timeIntervalSince1970: time))))
            }
            for index in 0..<55 {
                try builder.addNotification(userPK: bystander, timestamp: Date(timeIntervalSince1970: base + Double(index)))
            }
            try await database.addNotification(userPK: pk, .discordAccountDisabled, at: Date(timeIntervalSince1970: base + 1e6))

            let rows = try builder.notifications(userPK: pk)
            #expect(rows.count == expectedCount)
            #expect(rows.first?.title == "Discord Account Disabled")
            let expectedKept = ids.sorted { $0.0 > $1.0 }.prefix(expectedCount - 1).map(\.1)
            #expect(Set(rows.dropFirst().map(\.id)) == Set(expectedKept))
            #expect(existing + 1 - rows.count == expectedDeleted)
            #expect(try builder.notifications(userPK: bystander).count == 55)
        }
    }

    @Test(arguments: Backend.allCases) func notificationLimitIsConfigurable(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "a")
            for index in 0..<8 {
                try builder.addNotification(userPK: pk, timestamp: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)))
            }
            try await database.addNotification(
                userPK: pk, level: .warning, title: "t", message: "m", at: tracedTimestamp, maxPerUser: 3)
            let rows = try builder.notifications(userPK: pk)
            #expect(rows.map(\.timestamp) == ["2026-11-25 17:20:13.173821", "2023-11-14 22:13:27", "2023-11-14 22:13:26"])
        }
    }

    @Test(arguments: Backend.allCases) func notificationForAnUnknownUserFailsOnTheForeignKey(_ backend: Backend) async throws {
        try await withAADatabase(backend) { _, database in
            let error = await #expect(throws: HostDatabaseError.self) {
                try await database.addNotification(userPK: 4242, .discordAccountDisabled, at: tracedTimestamp)
            }
            #expect(error?.code == .queryFailed)
            #expect(error?.description.contains("user_pk=4242") == true)
        }
    }
}
