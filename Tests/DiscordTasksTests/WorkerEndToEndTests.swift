import CeleryProtocol
import DiscordSandbox
@testable import DiscordTasks
import Foundation
import Logging
import RedisClient
import Testing
import TestSupport
import WorkerRuntime

@Suite("Real Worker running AA's captured messages", .serialized)
struct WorkerEndToEndTests {
    static func fixture(_ name: String) throws -> [UInt8] { try CeleryFixtures.bytes(name) }

    func runWorker(_ h: TaskHarness) async throws {
        var options = WorkerOptions()
        options.queues = ["discord"]
        options.exitWhenIdle = true
        options.concurrency = 4
        options.cacheURL = h.redisServer.url(db: 1)
        let worker = Worker(options: options, registry: h.registry, brokerURL: h.redisServer.url(db: 0), logger: h.logger)
        try await worker.run()
    }

    func push(_ h: TaskHarness, _ name: String) async throws {
        let bytes = try Self.fixture(name)
        let key = try TaskMessage.decode(bytes, poppedFrom: "discord").listKey
        _ = try await h.broker.command(["LPUSH", RedisArgument(key), RedisArgument(bytes: bytes)])
    }

    @Test func capturedUpdateGroupsAndDeleteUserMessages() async throws {
        var pk: Int64 = 0
        try await TaskHarness.with(seed: smallSeed(), options: { $0.queue = "discord" }, database: { db in
            pk = try db.addUser(username: "alice", state: "Member", groups: ["Alliance"], discordUID: Int64(uid(1)))
        }) { h in
            #expect(pk == 1)
            // AA's DiscordService.update_groups: kwargs {"user_pk": 1, "state_name": "Guest"}.
            try await push(h, "svc_update_groups.json")
            try await runWorker(h)
            #expect(h.memberRoleNames(uid(1)) == ["Alliance", "Guest"])

            // AA's unknown-member path message: delete_user.delay(1, notify_user=True), with its once-lock.
            let lock = ":1:qo_discord.delete_user_notify_user-True_user_pk-1"
            _ = try await h.cache.command(["SET", RedisArgument(lock), "x"])
            try await push(h, "delete_user_delay.json")
            try await runWorker(h)
            #expect(h.member(uid(1)) == nil)
            #expect(try h.db.storedDiscordLink(userPK: 1) == nil)
            #expect(try h.db.notifications(userPK: 1).count == 1)
            #expect(try await h.cache.command(["EXISTS", RedisArgument(lock)]).int == 0)
            #expect(try await h.broker.command(["EXISTS", "discord-worker:dead"]).int == 0)  // nothing dead-lettered
        }
    }
}
