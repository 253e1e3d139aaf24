import Broker
import Foundation
import RedisClient
import TestSupport
import Testing

/// AA's list keys for queue `services`, in consume order (priority 0 first).
let servicesKeys = ["services"] + (1...9).map { "services\u{06}\u{16}\($0)" }

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite("RedisBroker on a real redis-server")
struct RedisBrokerTests {
    @Test func reservesInPriorityOrderAndFIFOWithinAList() async throws {
        try await withRedis { server in
            let producer = server.client()
            // kombu LPUSHes; priorities 9, 6, 3, 0, 5, 1, 0 arrive in this order.
            for (p, name) in [(9, "p9"), (6, "p6"), (3, "p3"), (0, "p0a"), (5, "p5"), (1, "p1"), (0, "p0b")] {
                try await producer.command(["LPUSH", RedisArgument(servicesKeys[p]), RedisArgument(name)])
            }
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: servicesKeys)
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let got = try await broker.reserve(max: 10, wait: .milliseconds(10))
            #expect(got.map { String(decoding: $0.raw, as: UTF8.self) } == ["p0a", "p0b", "p1", "p3", "p5", "p6", "p9"])
            #expect(got[0].sourceKey == "services" && got[2].sourceKey == "services\u{06}\u{16}1")
            #expect(try await producer.command(["HLEN", "discord-worker:worker:w1:inflight"]) == .integer(7))
            try await broker.ack(got)
            #expect(try await producer.command(["HLEN", "discord-worker:worker:w1:inflight"]) == .integer(0))
            await broker.close()
        }
    }

    @Test func idleWorkerWakesWhenAMessageArrives() async throws {
        try await withRedis { server in
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: servicesKeys)
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let producer = server.client()
            async let reserved = broker.reserve(max: 4, wait: .seconds(10))
            // Publish once the blockers are waiting (their BLMOVE is registered as a blocked client).
            try await waitUntil("blockers to block") {
                let info = try await producer.command(["INFO", "clients"]).string ?? ""
                return info.contains("blocked_clients:10")
            }
            try await producer.command(["LPUSH", "services\u{06}\u{16}3", "hello"])
            let got = try await reserved
            #expect(got.map(\.raw) == [bytes("hello")])
            #expect(got.first?.sourceKey == "services\u{06}\u{16}3")
            // Nothing is left in the landing list and the message is leased.
            #expect(try await producer.command(["LLEN", "discord-worker:worker:w1:landing:services\u{06}\u{16}3"]) == .integer(0))
            #expect(try await producer.command(["HLEN", "discord-worker:worker:w1:inflight"]) == .integer(1))
            await broker.close()
        }
    }

    @Test func settleAppliesOutcomeAtomicallyAndRefusesALostLease() async throws {
        try await withRedis { server in
            let redis = server.client()
            try await redis.command(["LPUSH", "services\u{06}\u{16}5", "task-1"])
            try await redis.command(["LPUSH", "services\u{06}\u{16}5", "task-2"])
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: servicesKeys)
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let got = try await broker.reserve(max: 2, wait: .milliseconds(10))
            #expect(got.count == 2)
            // Success with a chain continuation.
            #expect(try await broker.settle(got[0], .ack.publishing(bytes("next"), to: "services\u{06}\u{16}5")))
            #expect(try await redis.command(["LRANGE", "services\u{06}\u{16}5", 0, -1]) == .array([.bulk(bytes("next"))]))
            // A second settle of the same delivery finds no lease and changes nothing.
            #expect(try await broker.settle(got[0], .ack.publishing(bytes("twice"), to: "services\u{06}\u{16}5")) == false)
            #expect(try await redis.command(["LLEN", "services\u{06}\u{16}5"]) == .integer(1))
            // Dead letter keeps the original bytes, reason and time.
            let letter = DeadLetter(id: "id-2", task: "discord.nope", reason: "unknown task", queue: "services", key: "services\u{06}\u{16}5")
            #expect(try await broker.settle(got[1], .ack.deadLettering(letter)))
            let inspector = BrokerInspector(redis: redis)
            let dead = try await inspector.deadLetters()
            #expect(dead.count == 1)
            #expect(dead[0].letter.reason == "unknown task" && dead[0].letter.task == "discord.nope")
            #expect(dead[0].raw == bytes("task-2"))
            #expect(abs(dead[0].letter.at.timeIntervalSinceNow) < 60)
            // Requeue puts the original bytes back; purge empties the store.
            #expect(try await inspector.requeueDeadLetters(ids: ["id-2"]) == 1)
            #expect(try await redis.command(["LINDEX", "services\u{06}\u{16}5", 0]) == .bulk(bytes("task-2")))
            #expect(try await inspector.deadLetterCount() == 0)
            await broker.close()
        }
    }

    @Test func delayedMessagesWaitInRedisAndArePromotedWhenDue() async throws {
        try await withRedis { server in
            let redis = server.client()
            try await redis.command(["LPUSH", "services\u{06}\u{16}5", "retry-me"])
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: servicesKeys)
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let got = try await broker.reserve(max: 1, wait: .milliseconds(10))
            let due = Date().addingTimeInterval(60)
            #expect(try await broker.settle(got[0], .ack.delaying(bytes("retry-1"), to: "services\u{06}\u{16}5", until: due)))
            #expect(try await BrokerInspector(redis: redis).delayedCount() == 1)
            let early = try await broker.promoteDue(now: Date())
            #expect(early.promoted == 0)
            #expect(abs((early.nextDue ?? .distantPast).timeIntervalSince(due)) < 0.01)
            let late = try await broker.promoteDue(now: due.addingTimeInterval(0.001))
            #expect(late.promoted == 1 && late.nextDue == nil)
            #expect(try await redis.command(["LRANGE", "services\u{06}\u{16}5", 0, -1]) == .array([.bulk(bytes("retry-1"))]))
            await broker.close()
        }
    }

    @Test func aDeadWorkersMessagesAreTakenOverByALiveOne() async throws {
        try await withRedis { server in
            let redis = server.client()
            for n in 1...3 { try await redis.command(["LPUSH", "services\u{06}\u{16}3", RedisArgument("m\(n)")]) }
            // A long lease, so that "still within its lease" holds however slow this machine is; its expiry is
            // then simulated by deleting the alive key (what Redis does when the lease's PX runs out).
            let dying = RedisBroker(url: server.url, workerID: "dying", sourceKeys: servicesKeys, lease: .seconds(60))
            server.closeOnStop { await dying.close() }
            try await dying.register(info: [:])
            let held = try await dying.reserve(max: 2, wait: .milliseconds(10))
            #expect(held.count == 2)
            // Simulate SIGKILL: no more heartbeats, connections dropped.
            await dying.close()
            let survivor = RedisBroker(url: server.url, workerID: "survivor", sourceKeys: servicesKeys, lease: .seconds(60))
            server.closeOnStop { await survivor.close() }
            try await survivor.register(info: [:])
            #expect(try await survivor.recoverDeadWorkers() == 0)  // still within its lease
            #expect(try await redis.command(["PTTL", "discord-worker:worker:dying:alive"]).int ?? 0 > 50_000, "the lease is a PX key")
            try await redis.command(["DEL", "discord-worker:worker:dying:alive"])
            #expect(try await survivor.recoverDeadWorkers() == 2)
            let taken = try await survivor.reserve(max: 10, wait: .milliseconds(10))
            // Returned messages are popped first (RPUSH, as kombu restores), then the untouched one.
            #expect(Set(taken.prefix(2).map(\.raw)) == Set([bytes("m1"), bytes("m2")]))
            #expect(taken.last?.raw == bytes("m3"))
            #expect(try await redis.command(["HEXISTS", "discord-worker:workers", "dying"]) == .integer(0))
            await survivor.close()
        }
    }

    @Test func cleanShutdownReturnsHeldMessages() async throws {
        try await withRedis { server in
            let redis = server.client()
            try await redis.command(["LPUSH", "services", "held"])
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: servicesKeys)
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            #expect(try await broker.reserve(max: 1, wait: .milliseconds(10)).count == 1)
            try await broker.unregister()
            #expect(try await redis.command(["LRANGE", "services", 0, -1]) == .array([.bulk(bytes("held"))]))
            #expect(try await redis.command(["HLEN", "discord-worker:workers"]) == .integer(0))
            await broker.close()
        }
    }
}
