import CeleryProtocol
import Broker
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

/// 200 members (1…200) holding "Member" plus "Alliance" (even) or "Corporation" (odd); the AA users
/// match, except the drift: 1–10 gain the other group (one role added), 11–15 lose their group (one
/// role removed), 16–20 swap (one added and one removed: a PATCH).
private func driftSeed(count: Int) -> SandboxSeed {
    SandboxSeed.generated(memberCount: count + 1, roleAssignment: { i in i % 2 == 0 ? [0, 1] : [0, 2] })
}

private func ownGroup(_ i: Int) -> String { i % 2 == 0 ? "Alliance" : "Corporation" }
private func otherGroup(_ i: Int) -> String { i % 2 == 0 ? "Corporation" : "Alliance" }

private func addDriftUsers(_ db: AADatabaseBuilder, count: Int, drift: Bool, main: Bool = false) throws -> [Int64] {
    var pks: [Int64] = []
    for i in 1...count {
        var groups = [ownGroup(i)]
        if drift {
            switch i {
            case 1...10: groups = ["Alliance", "Corporation"]
            case 11...15: groups = []
            case 16...20: groups = [otherGroup(i)]
            default: break
            }
        }
        pks.append(try db.addUser(username: "user\(i)", state: "Member", groups: groups, main: main ? mainCharacter(i) : nil,
                                  discordUID: Int64(uid(i)), discordUsername: SandboxSeed.generatedUsername(i)))
    }
    return pks
}

private func expectedRoles(_ i: Int, drift: Bool) -> Set<String> {
    guard drift else { return ["Member", ownGroup(i)] }
    switch i {
    case 1...10: return ["Member", "Alliance", "Corporation"]
    case 11...15: return ["Member"]
    case 16...20: return ["Member", otherGroup(i)]
    default: return ["Member", ownGroup(i)]
    }
}

@Suite("Native bulk sync", .serialized)
struct BulkSyncTests {
    @Test func updateAllGroupsSendsOnlyChangesThenNothing() async throws {
        try await TaskHarness.with(seed: driftSeed(count: 200), database: { db in
            _ = try addDriftUsers(db, count: 200, drift: true)
        }) { h in
            let outcome = try await h.run("discord.update_all_groups")
            #expect(outcome == .success(["total": 200, "changed": 20, "failed": 0]))
            for i in 1...200 { #expect(h.memberRoleNames(uid(i)) == expectedRoles(i, drift: true), "member \(i)") }
            let stats = await h.stats()
            #expect(stats.requests(.listMembers) == 1)
            #expect(stats.requests(.modifyMember) + stats.requests(.addMemberRole) + stats.requests(.removeMemberRole) == 20)
            #expect(stats.requests(.modifyMember) >= 5)
            #expect(stats.requests(.addMemberRole) + stats.requests(.removeMemberRole) > 0)
            #expect(stats.requests(.getMember) <= 1)  // the bot's own member only
            #expect(stats.rateLimited.total == 0)
            // The progress entry `status` shows, as any process reads it back.
            let entries = try await BulkProgressReporter.all(redis: h.broker)
            #expect(entries.count == 1)
            let entry = try #require(entries.first)
            #expect(entry.done == 200 && entry.total == 200 && entry.changed == 20 && entry.failed == 0)
            #expect(entry.finished && entry.task == "discord.update_all_groups" && entry.etaSeconds == 0)
            #expect(entry.sendingSince != nil && entry.doneWhenSendingStarted == 180)

            // 0% drift: no PATCH, no role request.
            await h.sandbox.resetStats()
            #expect(try await h.run("discord.update_all_groups") == .success(["total": 200, "changed": 0, "failed": 0]))
            let again = await h.stats()
            #expect(again.requests(.modifyMember) == 0 && again.requests(.addMemberRole) == 0 && again.requests(.removeMemberRole) == 0)
            #expect(again.totalRequests <= 2)

            // A single task right after the bulk uses the post-sync state instead of GET member.
            await h.sandbox.resetStats()
            #expect(try await h.run("discord.update_groups", [1]) == .success(true))
            #expect(await h.stats().totalRequests == 0)
        }
    }

    @Test func updateGroupsBulkTakesAListAndIgnoresUnlinked() async throws {
        var pks: [Int64] = []
        var unlinked: Int64 = 0
        try await TaskHarness.with(seed: driftSeed(count: 20), database: { db in
            pks = try addDriftUsers(db, count: 20, drift: true)
            unlinked = try db.addUser(username: "nolink", state: "Member", groups: ["Alliance"])
        }) { h in
            let outcome = try await h.run("discord.update_groups_bulk", [.array([.int(pks[0]), .int(pks[11]), .int(pks[16]), .int(unlinked)])])
            #expect(outcome == .success(["total": 3, "changed": 3, "failed": 0]))
            #expect(h.memberRoleNames(uid(1)) == expectedRoles(1, drift: true))
            #expect(h.memberRoleNames(uid(12)) == expectedRoles(12, drift: true))
            #expect(h.memberRoleNames(uid(17)) == expectedRoles(17, drift: true))
            #expect(h.memberRoleNames(uid(2)) == expectedRoles(2, drift: false))  // not in the list: untouched
        }
    }

    @Test func withoutTheMembersIntentFallsBackToSingleReads() async throws {
        try await TaskHarness.with(seed: driftSeed(count: 30), configure: {
            $0.profile = .unlimited
            $0.membersIntent = false
        }, database: { db in
            _ = try addDriftUsers(db, count: 30, drift: true)
        }) { (h) async throws in
            #expect(try await h.run("discord.update_all_groups") == .success(["total": 30, "changed": 20, "failed": 0]))
            for i in 1...30 { #expect(h.memberRoleNames(uid(i)) == expectedRoles(i, drift: true)) }
            let stats = await h.stats()
            #expect(stats.requests(.listMembers) == 1)
            #expect(stats.requests(.getMember) == 31)  // 30 users + the bot
            #expect(h.logs.contains("GUILD_MEMBERS intent"))
        }
    }

    @Test func serverErrorsDuringABulkAreReEnqueuedAsSingleTasks() async throws {
        try await TaskHarness.with(seed: driftSeed(count: 40), database: { db in
            _ = try addDriftUsers(db, count: 40, drift: true)
        }) { h in
            await h.sandbox.setFaults(SandboxFaults(hang: SandboxHangFault(routes: [.modifyMember], count: 2, maxDuration: .milliseconds(100))))
            let outcome = try await h.run("discord.update_all_groups")
            #expect(outcome == .success(["total": 40, "changed": 18, "failed": 2]))
            let queued = try await h.queued()
            #expect(queued.count == 2)
            #expect(queued.allSatisfy { $0.task == "discord.update_groups" && $0.priority == 5 })
            let outcomes = try await h.drainQueue()
            #expect(outcomes.allSatisfy { $0.1 == .success(true) }, "\(outcomes)")
            for i in 1...40 { #expect(h.memberRoleNames(uid(i)) == expectedRoles(i, drift: true)) }
        }
    }

    @Test func membersWhoLeftAreDeletedTheAAWay() async throws {
        var gone: Int64 = 0
        try await TaskHarness.with(seed: driftSeed(count: 5), database: { db in
            _ = try addDriftUsers(db, count: 5, drift: false)
            gone = try db.addUser(username: "gone", state: "Member", groups: ["Alliance"], discordUID: 399_999_999_999_999_999)
        }) { h in
            #expect(try await h.run("discord.update_all_groups") == .success(["total": 6, "changed": 0, "failed": 0]))
            let queued = try await h.queued()
            #expect(queued.map(\.task) == ["discord.delete_user"])
            #expect(queued.first?.args == [.int(gone)] && queued.first?.kwargs == ["notify_user": true])
            _ = try await h.drainQueue()
            #expect(try h.db.storedDiscordLink(userPK: gone) == nil)
            #expect(try h.db.notifications(userPK: gone).count == 1)
        }
    }

    @Test func updateAllSyncsRolesNicknamesAndUsernamesTogether() async throws {
        try await TaskHarness.with(seed: driftSeed(count: 30), options: { $0.syncNames = true }, database: { db in
            let pks = try addDriftUsers(db, count: 30, drift: true, main: true)
            try db.execute(sql: "UPDATE discord_discorduser SET username = 'stale' WHERE user_id = \(pks[24])")
        }) { h in
            let outcome = try await h.run("discord.update_all")
            #expect(outcome == .success(["total": 30, "changed": 30, "failed": 0]))
            let stats = await h.stats()
            // Every member's nick changes: one PATCH each, roles included; no role route, no GET member.
            #expect(stats.requests(.modifyMember) == 30)
            #expect(stats.requests(.addMemberRole) + stats.requests(.removeMemberRole) == 0)
            #expect(stats.requests(.getMember) <= 1)
            for i in 1...30 {
                #expect(h.member(uid(i))?.nick == "Rixx Javix")
                #expect(h.memberRoleNames(uid(i)) == expectedRoles(i, drift: true))
            }
            #expect(try h.db.storedDiscordLink(userPK: 25)?.username == SandboxSeed.generatedUsername(25))
        }
    }

    @Test func nicknameAndUsernameBulks() async throws {
        var pks: [Int64] = []
        try await TaskHarness.with(seed: driftSeed(count: 10), database: { db in
            pks = try addDriftUsers(db, count: 10, drift: false, main: true)
            try db.execute(sql: "UPDATE discord_discorduser SET username = 'stale', discriminator = '1234'")
        }) { (h) async throws in
            #expect(try await h.run("discord.update_nicknames_bulk", [.array(pks.prefix(4).map { .int($0) })])
                == .success(["total": 4, "changed": 4, "failed": 0]))
            #expect(h.member(uid(1))?.nick == "Rixx Javix" && h.member(uid(5))?.nick == nil)
            #expect(try await h.run("discord.update_all_nicknames") == .success(["total": 10, "changed": 6, "failed": 0]))
            await h.sandbox.resetStats()
            #expect(try await h.run("discord.update_usernames_bulk", [.array([.int(pks[0])])]) == .success(["total": 1, "changed": 1, "failed": 0]))
            #expect(try h.db.storedDiscordLink(userPK: pks[0])?.username == SandboxSeed.generatedUsername(1))
            #expect(try await h.run("discord.update_all_usernames") == .success(["total": 10, "changed": 9, "failed": 0]))
            #expect(try h.db.storedDiscordLink(userPK: pks[9])?.discriminator == "0")
            let stats = await h.stats()
            #expect(stats.requests(.modifyMember) == 0 && stats.requests(.getMember) == 0)
            let nameKey = "DISCORD_GUILD_NAME__" + MD5.hex(String(TaskHarness.guildID))
            #expect(try await h.cache.command(["GET", RedisArgument(nameKey)]).string == "Sandbox Guild")
        }
    }
}
