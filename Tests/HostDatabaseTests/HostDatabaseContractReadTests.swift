import Foundation
import HostDatabase
import HostDatabaseSQLite
import Testing
import TestSupport

/// The behavioural contract of `HostDatabase`, run against SQLite and a real mariadbd alike.
@Suite struct HostDatabaseContractReadTests {
    @Test(arguments: Backend.allCases) func userByPK(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "alice")
            #expect(try await database.user(pk: pk) == AAUser(id: pk, username: "alice"))
            #expect(try await database.user(pk: pk + 100) == nil)
        }
    }

    @Test(arguments: Backend.allCases) func discordLinkOfALinkedUser(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(
                username: "alice", discordUID: 123_456_789_012_345_678, discordUsername: "alice_d",
                discriminator: "0", activated: tracedTimestamp)
            let link = try #require(try await database.discordLink(userPK: pk))
            #expect(link.userPK == pk)
            #expect(link.uid == 123_456_789_012_345_678)
            #expect(link.username == "alice_d")
            #expect(link.discriminator == "0")
            let activated = try #require(link.activated)
            #expect(abs(activated.timeIntervalSince(tracedTimestamp)) < 0.000_001)
            #expect(try builder.storedDiscordLink(userPK: pk)?.activated == "2026-11-25 17:20:13.173821")
        }
    }

    @Test(arguments: Backend.allCases) func discordLinkIsNilWithoutALinkOrUser(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "bob")
            #expect(try await database.discordLink(userPK: pk) == nil)
            #expect(try await database.discordLink(userPK: 9999) == nil)
        }
    }

    @Test(arguments: Backend.allCases) func activatedNullOrWithoutFraction(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let none = try builder.addUser(username: "n", discordUID: 1, activated: nil)
            let whole = try builder.addUser(username: "w", discordUID: 2, activated: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(try await database.discordLink(userPK: none)?.activated == nil)
            #expect(try await database.discordLink(userPK: whole)?.activated == Date(timeIntervalSince1970: 1_700_000_000))
            #expect(try builder.storedDiscordLink(userPK: whole)?.activated == "2023-11-14 22:13:20")
        }
    }

    @Test(arguments: Backend.allCases) func syncProfileHasGroupsStateMainAndFormat(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            try builder.addNameFormat(format: "{character_name} mumble", states: ["Member"], serviceName: "mumble")
            let first = try builder.addNameFormat(format: "[{corp_ticker}] {character_name}", states: ["Member", "Blue"])
            try builder.addNameFormat(format: "later {character_name}", states: ["Member"])
            let pk = try builder.addUser(
                username: "alice", state: "Member", groups: ["Fleet 🚀", "Logistics", "Capitals"],
                main: sampleCharacter(), discordUID: 42)
            #expect(first > 0)
            let profile = try #require(try await database.syncProfile(userPK: pk))
            #expect(profile.userPK == pk)
            #expect(profile.username == "alice")
            #expect(Set(profile.groupNames) == ["Fleet 🚀", "Logistics", "Capitals"])
            #expect(profile.groupNames.count == 3)
            #expect(profile.stateID == 3)
            #expect(profile.stateName == "Member")
            #expect(profile.mainCharacter == sampleCharacter())
            #expect(profile.nicknameFormat == "[{corp_ticker}] {character_name}")
        }
    }

    @Test(arguments: Backend.allCases) func syncProfileWithoutMainGroupsFormatOrLink(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            try builder.addNameFormat(format: "{character_name}", states: ["Member"])
            let pk = try builder.addUser(username: "guest", state: "Guest")
            let profile = try #require(try await database.syncProfile(userPK: pk))
            #expect(profile.groupNames.isEmpty)
            #expect(profile.stateID == 1)
            #expect(profile.stateName == "Guest")
            #expect(profile.mainCharacter == nil)
            #expect(profile.nicknameFormat == nil)
            #expect(try await database.syncProfile(userPK: pk + 1) == nil)
        }
    }

    @Test(arguments: Backend.allCases) func mainCharacterWithoutAlliance(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            let pk = try builder.addUser(username: "solo", main: sampleCharacter(alliance: false))
            let main = try #require(try await database.syncProfile(userPK: pk)?.mainCharacter)
            #expect(main.allianceID == nil)
            #expect(main.allianceName == "")
            #expect(main.allianceTicker == "")
            #expect(main.corporationTicker == "BOBC")
        }
    }

    @Test(arguments: Backend.allCases) func reservedGroupNamesInInsertionOrder(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            #expect(try await database.reservedGroupNames() == [])
            try builder.addReservedGroupName("Discord Admins")
            try builder.addReservedGroupName("Nitro Booster")
            #expect(try await database.reservedGroupNames() == ["Discord Admins", "Nitro Booster"])
        }
    }

    @Test(arguments: Backend.allCases) func linkedUsersReturnsOnlyLinkedUsersOrderedByPK(_ backend: Backend) async throws {
        try await withAADatabase(backend) { builder, database in
            try builder.addNameFormat(format: "[{corp_ticker}] {character_name}", states: ["Member"])
            let a = try builder.addUser(username: "a", groups: ["G1"], main: sampleCharacter(1), discordUID: 1001)
            let b = try builder.addUser(username: "b", groups: ["G1", "G2"])
            let c = try builder.addUser(username: "c", state: "Blue", discordUID: 1003, discordUsername: "cee")
            let all = try await database.linkedUsers(pks: nil)
            #expect(all.map(\.userPK) == [a, c])
            #expect(all[0].link.uid == 1001)
            #expect(all[0].profile.groupNames == ["G1"])
            #expect(all[0].profile.mainCharacter == sampleCharacter(1))
            #expect(all[0].profile.nicknameFormat == "[{corp_ticker}] {character_name}")
            #expect(all[1].link.username == "cee")
            #expect(all[1].profile.stateName == "Blue")
            #expect(all[1].profile.nicknameFormat == nil)
            #expect(all[1].profile.mainCharacter == nil)

            let some = try await database.linkedUsers(pks: [c, b, 999, c, a])
            #expect(some == all)
            #expect(try await database.linkedUsers(pks: []) == [])
            #expect(try await database.linkedUsers(pks: [b]) == [])
            for user in all {
                #expect(try await database.syncProfile(userPK: user.userPK) == user.profile)
                #expect(try await database.discordLink(userPK: user.userPK) == user.link)
            }
        }
    }

    /// SQLite only: MariaDB's typed columns cannot hold such a value.
    @Test func aCorruptValueIsAnErrorNotACrash() async throws {
        try await withAADatabase(.sqlite) { builder, database in
            let pk = try builder.addUser(username: "broken", discordUID: 5)
            try builder.execute(sql: "UPDATE discord_discorduser SET uid = 'not a number' WHERE user_id = \(pk)")
            let error = await #expect(throws: HostDatabaseError.self) { try await database.discordLink(userPK: pk) }
            #expect(error?.code == .unexpectedValue)
            #expect(error?.description.contains("discord_discorduser.uid") == true)
            await #expect(throws: HostDatabaseError.self) { try await database.linkedUsers(pks: nil) }
        }
    }
}
