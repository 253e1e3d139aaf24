import CeleryProtocol
import DiscordAPI
import DiscordSandbox
@testable import DiscordTasks
import Foundation
import HostDatabase
import PythonCompat
import RedisClient
import Testing
import TestSupport
import WorkerRuntime

@Suite("Per-user discord.* tasks on AA's database and the sandbox", .serialized)
struct SingleUserTaskTests {
    @Test func md5MatchesRFC1321AndAAKeys() {
        #expect(MD5.hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex("a") == "0cc175b9c0f1b6a831c399e269772661")
        #expect(MD5.hex("abc") == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0")
        #expect(MD5.hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b")
        #expect(MD5.hex(String(repeating: "1234567890", count: 8)) == "57edf4a22be3c955ac49da2e2107b67a")
        #expect(MD5.hex("123456789012345678") == "9efebb3d7d059bff092842bf31dd2816")
        #expect(DiscordSyncOptions(guildID: 123_456_789_012_345_678).rolesCacheKey
            == "DISCORD_GUILD_ROLES__9efebb3d7d059bff092842bf31dd2816")
    }

    @Test func aRedisOutageWaitsUncountedWhileOtherErrorsUseAARetries() async throws {
        try await TaskHarness.with(seed: smallSeed(), database: { _ in }) { h in
            let log = h.sync.logger
            // Unreachable or refusing (wrong CACHE_URL, password): the worker backs off, uncounted, and reports it.
            let blip = h.sync.outcome(for: RedisError(.connection, "Connection refused"), logger: log)
            guard case .unavailable(let reason) = blip else { Issue.record("\(blip)"); return }
            #expect(reason.contains("Connection refused"))
            let refused = h.sync.outcome(for: RedisError(.server, "WRONGPASS invalid username-password pair"), logger: log)
            guard case .unavailable = refused else { Issue.record("\(refused)"); return }
            let scriptError = h.sync.outcome(for: RedisError(.server, "ERR bad script"), logger: log)
            #expect(scriptError == .retryAfterError("redis: \(RedisError(.server, "ERR bad script"))"))
        }
    }

    @Test func aSingleRoleChangeUsesTheMemberRoleRouteNotAPatch() async throws {
        var joined: Int64 = 0
        var left: Int64 = 0
        // Member 1 holds Member and joined the Alliance group; member 2 holds Member and Alliance and left it.
        let seed = smallSeed(assign: { $0 == 1 ? [0] : $0 == 2 ? [0, 1] : [] })
        try await TaskHarness.with(seed: seed, database: { db in
            joined = try db.addUser(username: "joined", state: "Member", groups: ["Alliance"], discordUID: Int64(uid(1)))
            left = try db.addUser(username: "left", state: "Member", groups: [], discordUID: Int64(uid(2)))
        }) { (h) async throws in
            #expect(try await h.run("discord.update_groups", [.int(joined)]) == .success(true))
            #expect(try await h.run("discord.update_groups", [.int(left)]) == .success(true))
            #expect(h.memberRoleNames(uid(1)) == ["Alliance", "Member"])
            #expect(h.memberRoleNames(uid(2)) == ["Member"])
            let stats = await h.stats()
            #expect(stats.requests(.addMemberRole) == 1 && stats.requests(.removeMemberRole) == 1)
            #expect(stats.requests(.modifyMember) == 0)
        }
    }

    @Test func concurrentTasksOfAFreshWorkerShareOneReadOfRolesAndTheBotsPlace() async throws {
        var pks: [Int64] = []
        try await TaskHarness.with(seed: smallSeed(members: 9), database: { db in
            for i in 1...8 {
                pks.append(try db.addUser(username: "u\(i)", state: "Member", groups: ["Alliance"], discordUID: Int64(uid(i))))
            }
        }) { h in
            let outcomes = try await withThrowingTaskGroup(of: TaskOutcome.self) { group in
                for pk in pks { group.addTask { try await h.run("discord.update_groups", [.int(pk)]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: .success(true), count: 8))
            let stats = await h.stats()
            #expect(stats.requests(.getRoles) == 1)
            #expect(stats.requests(.getGuild) == 1 && stats.requests(.getCurrentUser) == 1)
            #expect(stats.requests(.getMember) == 8 + 1, "each member once, the bot's own member once")
        }
    }

    @Test func updateGroupsPositionalSetsRolesAndFillsAARolesCache() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "alice", state: "Member", groups: ["Alliance"], discordUID: Int64(uid(1)))
        }) { h in
            let outcome = try await h.run("discord.update_groups", [.int(pk)])
            #expect(outcome == .success(true))
            #expect(h.memberRoleNames(uid(1)) == ["Alliance", "Member"])
            let key = DiscordSyncOptions(guildID: TaskHarness.guildID).rolesCacheKey
            let cached = try await h.cache.command(["GET", RedisArgument(key)]).string
            #expect(cached?.hasPrefix("[{\"id\": \"") == true)
            let ttl = try await h.cache.command(["PTTL", RedisArgument(key)]).int ?? -1
            #expect(ttl > 0 && ttl <= 7_200_000)
            // In sync now: a second run sends no PATCH.
            await h.sandbox.resetStats()
            #expect(try await h.run("discord.update_groups", [.int(pk)]) == .success(true))
            #expect(await h.stats().requests(.modifyMember) == 0)
        }
    }

    @Test func updateGroupsKwargsStateNameCreatesMissingRoleOnce() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "bob", state: "Member", groups: ["Corporation"], discordUID: Int64(uid(2)))
        }) { h in
            let outcome = try await h.run("discord.update_groups", [], ["user_pk": .int(pk), "state_name": "Guest"])
            #expect(outcome == .success(true))
            #expect(h.memberRoleNames(uid(2)) == ["Corporation", "Guest"])
            #expect(await h.stats().requests(.createRole) == 1)
        }
    }

    @Test func managedReservedAndAboveBotRolesAreKept() async throws {
        var seed = smallSeed()
        seed.members[3].roles = [SandboxSeed.boosterRoleID, SandboxSeed.adminRoleID, seed.roleID(named: "Corporation")!]
        var pk: Int64 = 0
        try await TaskHarness.with(seed: seed, database: { db in
            try db.addReservedGroupName("corporation")
            pk = try db.addUser(username: "carol", state: "Member", groups: ["Admin"], discordUID: Int64(uid(3)))
        }) { h in
            #expect(try await h.run("discord.update_groups", [.int(pk)]) == .success(true))
            #expect(h.memberRoleNames(uid(3)) == ["Server Booster", "Admin", "Corporation", "Member"])
            // A user who should get "Admin" (above the bot) gets the rest; the log names the role.
            var pk2: Int64 = 0
            try h.db.execute(sql: "SELECT 1")
            pk2 = try h.db.addUser(username: "dave", state: "Member", groups: ["Admin", "Alliance"], discordUID: Int64(uid(4)))
            #expect(try await h.run("discord.update_groups", [.int(pk2)]) == .success(true))
            #expect(h.memberRoleNames(uid(4)) == ["Alliance", "Member"])
            #expect(h.logs.contains("move the bot's role"))
            #expect(h.logs.lines.contains { $0.contains("roles=Admin") })
            #expect(await h.stats().rateLimited.total == 0)
            #expect(await h.stats().status(403) == 0)
        }
    }

    @Test func unknownUserFailsAndUnlinkedUserIsANoOp() async throws {
        var unlinked: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            unlinked = try db.addUser(username: "nolink", state: "Member", groups: ["Alliance"])
        }) { (h) async throws in
            for task in ["discord.update_groups", "discord.update_nickname", "discord.update_username", "discord.delete_user"] {
                #expect(try await h.run(task, [.int(999)]) == .failure(reason: "unknown user"))
                #expect(try await h.run(task, [], ["user_pk": .int(unlinked)]) == .success(.null))
            }
            #expect(await h.stats().totalRequests == 0)
            #expect(h.logs.contains("does not have a discord account"))
        }
    }

    @Test func memberWhoLeftIsDeletedTheAAWay() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "gone", state: "Member", groups: ["Alliance"], discordUID: 399_999_999_999_999_999)
        }) { h in
            let countKey = DiscordSyncOptions.notificationCountKey(pk)
            _ = try await h.cache.command(["SET", RedisArgument(countKey), "3"])
            #expect(try await h.run("discord.update_groups", [.int(pk)]) == .success(.null))
            // A second task for the same user while delete_user is queued publishes nothing more.
            #expect(try await h.run("discord.update_username", [.int(pk)]) == .success(.null))
            let queued = try await h.queued()
            #expect(queued.count == 1)
            let message = try #require(queued.first)
            #expect(message.task == "discord.delete_user")
            #expect(message.args == [.int(pk)])
            #expect(message.kwargs == ["notify_user": true])
            #expect(message.priority == 5)
            let lock = ":1:qo_discord.delete_user_notify_user-True_user_pk-\(pk)"
            #expect(try await h.cache.command(["EXISTS", RedisArgument(lock)]).int == 1)

            let outcomes = try await h.drainQueue()
            #expect(outcomes.count == 1)
            #expect(outcomes.first?.1 == .success(true))
            #expect(try h.db.storedDiscordLink(userPK: pk) == nil)
            let notes = try h.db.notifications(userPK: pk)
            #expect(notes.count == 1)
            #expect(notes.first?.title == "Discord Account Disabled")
            #expect(notes.first?.level == "warning")
            #expect(notes.first?.message == "Your Discord account was disabled automatically by Auth. If you think this was a mistake, please contact an admin.")
            #expect(try await h.cache.command(["EXISTS", RedisArgument(countKey)]).int == 0)
        }
    }

    @Test func deleteUserKicksDeletesNotifiesAndPrunes() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "erin", state: "Member", discordUID: Int64(uid(1)))
            for i in 0..<50 { try db.addNotification(userPK: pk, timestamp: Date(timeIntervalSince1970: 1_700_000_000 + Double(i))) }
        }) { h in
            #expect(try await h.run("discord.delete_user", [.int(pk)], ["notify_user": true]) == .success(true))
            #expect(h.member(uid(1)) == nil)
            #expect(try h.db.storedDiscordLink(userPK: pk) == nil)
            let notes = try h.db.notifications(userPK: pk)
            #expect(notes.count == 50)
            #expect(notes.contains { $0.title == "Discord Account Disabled" })
            // Without notify_user: no notification. Already gone from the guild (404 10007) is fine.
            let pk2 = try h.db.addUser(username: "frank", state: "Member", discordUID: 399_999_999_999_999_998)
            #expect(try await h.run("discord.delete_user", [.int(pk2)]) == .success(true))
            #expect(try h.db.storedDiscordLink(userPK: pk2) == nil)
            #expect(try h.db.notifications(userPK: pk2).isEmpty)
        }
    }

    @Test func updateNicknameFormatsNoMainKeepsOwnerUntouched() async throws {
        var withMain: Int64 = 0, noMain: Int64 = 0, owner: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            try db.addNameFormat(format: "[{corp_ticker}] {character_name}", states: ["Member"])
            withMain = try db.addUser(username: "gina", state: "Member", main: sampleMain, discordUID: Int64(uid(1)))
            noMain = try db.addUser(username: "hank", state: "Member", discordUID: Int64(uid(2)))
            owner = try db.addUser(username: "olga", state: "Member", main: mainCharacter(2), discordUID: Int64(uid(0)))
        }) { (h) async throws in
            #expect(try await h.run("discord.update_nickname", [.int(withMain)]) == .success(true))
            #expect(h.member(uid(1))?.nick == "[TEST] Rixx Javix")
            #expect(try await h.run("discord.update_nickname", [.int(noMain)]) == .success(false))
            #expect(try await h.run("discord.update_nickname", [.int(owner)]) == .success(false))
            #expect(h.member(uid(0))?.nick == nil)
            #expect(await h.stats().requests(.modifyMember) == 1)
            // Given nickname (AA's sync_nickname kwargs), emoji kept, truncated to 32 code points.
            let long = "🚀 " + String(repeating: "x", count: 40)
            #expect(try await h.run("discord.update_nickname", [], ["user_pk": .int(noMain), "nickname": .string(long)]) == .success(true))
            #expect(h.member(uid(2))?.nick == String(long.unicodeScalars.prefix(32).map(Character.init)))
        }
    }

    @Test func updateUsernameStoresTheMembersName() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "ivan", state: "Member", discordUID: Int64(uid(1)), discordUsername: "old", discriminator: "1234")
        }) { h in
            #expect(try await h.run("discord.update_username", [.int(pk)]) == .success(true))
            let link = try #require(try h.db.storedDiscordLink(userPK: pk))
            #expect(link.username == SandboxSeed.generatedUsername(1))
            #expect(link.discriminator == "0")
        }
    }

    @Test func updateServernameCachesTheGuildName() async throws {
        try await TaskHarness.with(seed: smallSeed(), database: { _ in }) { h in
            #expect(try await h.run("discord.update_servername") == .success(.null))
            let key = "DISCORD_GUILD_NAME__" + MD5.hex(String(TaskHarness.guildID))
            #expect(try await h.cache.command(["GET", RedisArgument(key)]).string == "Sandbox Guild")
            let ttl = try await h.cache.command(["TTL", RedisArgument(key)]).int ?? -1
            #expect(ttl > 86_000 && ttl <= 86_400)
        }
    }

    @Test func emojiAndLongGroupNamesBecomeTruncatedRoles() async throws {
        let long = "⚔️ Fleet " + String(repeating: "ä", count: 120)
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "jane", state: "Member", groups: [long, "🛰️ Scouts"], discordUID: Int64(uid(1)))
        }) { (h) async throws in
            #expect(try await h.run("discord.update_groups", [.int(pk)]) == .success(true))
            let truncated = String(String.UnicodeScalarView(long.unicodeScalars.prefix(100)))
            #expect(h.memberRoleNames(uid(1)) == [truncated, "🛰️ Scouts", "Member"])
            #expect(await h.stats().requests(.createRole) == 2)
            // Again: the names match the created roles exactly, nothing created or sent.
            await h.sandbox.resetStats()
            #expect(try await h.run("discord.update_groups", [.int(pk)]) == .success(true))
            #expect(await h.stats().requests(.createRole) == 0)
            #expect(await h.stats().requests(.modifyMember) == 0)
        }
    }

    @Test func concurrentTasksCreateAMissingRoleOnce() async throws {
        var pks: [Int64] = []
        try await TaskHarness.with(seed: smallSeed(members: 6), database: { db in
            for i in 1...5 { pks.append(try db.addUser(username: "u\(i)", state: "Member", groups: ["New Fleet"], discordUID: Int64(uid(i)))) }
        }) { h in
            let outcomes = try await withThrowingTaskGroup(of: TaskOutcome.self) { group in
                for pk in pks { group.addTask { try await h.run("discord.update_groups", [.int(pk)]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == .success(true) })
            #expect(await h.stats().requests(.createRole) == 1)
            #expect(h.sandbox.state.roles.filter { $0.name == "New Fleet" }.count == 1)
            for i in 1...5 { #expect(h.memberRoleNames(uid(i)) == ["New Fleet", "Member"]) }
        }
    }

    @Test func roleCreationBudgetExhaustedWaitsWithoutCountingARetry() async throws {
        var pk1: Int64 = 0, pk2: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), configure: {
            $0.profile = .unlimited
            $0.routeLimits[.createRole] = RateLimitRule(limit: 1, window: .seconds(172_800))
        }, database: { db in
            pk1 = try db.addUser(username: "k1", state: "Member", groups: ["Role A"], discordUID: Int64(uid(1)))
            pk2 = try db.addUser(username: "k2", state: "Member", groups: ["Role B"], discordUID: Int64(uid(2)))
        }) { h in
            #expect(try await h.run("discord.update_groups", [.int(pk1)]) == .success(true))
            let second = try await h.run("discord.update_groups", [.int(pk2)])
            guard case .retry(let after, _, let counts) = second else {
                Issue.record("expected a rate-limit retry, got \(second)")
                return
            }
            #expect(!counts)
            #expect(after > .seconds(60))
            #expect(await h.stats().rateLimited.total <= 1)
        }
    }

    @Test func addUserLinksAndRedirectMismatchNamesTheSetting() async throws {
        var pk: Int64 = 0
        let newcomer = SandboxUser(id: 310_000_000_000_000_001, username: "newbie")
        try await TaskHarness.with(seed: smallSeed(), database: { db in
            pk = try db.addUser(username: "lara", state: "Member", groups: ["Alliance"])
        }) { h in
            let code = await h.sandbox.mintOAuthCode(for: newcomer)
            #expect(try await h.run("discord.add_user", [.int(pk), .string(code)]) == .success(true))
            #expect(h.memberRoleNames(newcomer.id) == ["Alliance", "Member"])
            let link = try #require(try h.db.storedDiscordLink(userPK: pk))
            #expect(link.uid == Int64(newcomer.id))
            #expect(link.username == "newbie")

            let badCode = await h.sandbox.mintOAuthCode(for: newcomer, redirectURI: "http://127.0.0.1:9/other/")
            let outcome = try await h.run("discord.add_user", [], ["user_pk": .int(pk), "authorization_code": .string(badCode)])
            guard case .failure(let reason) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(reason.contains("DISCORD_CALLBACK_URL"))
            #expect(!reason.contains(TaskHarness.botToken))
        }
    }
}
