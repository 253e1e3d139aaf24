import Broker
import Foundation
import RedisClient
import TestSupport
import Testing

/// `RedisLock` and the lock scripts on a real redis-server: parking, waking in order, renewal, recovery.
@Suite("RedisLock on a real redis-server")
struct RedisLockTests {
    static func strings(_ value: RedisValue) -> [String] { value.array?.compactMap(\.string) ?? [] }

    @Test func aBusyUsersMessagesParkAndReturnOldestFirstOnRelease() async throws {
        try await withRedis { server in
            let redis = server.client()
            for name in ["first", "second", "third"] { try await redis.command(["LPUSH", "services", RedisArgument(name)]) }
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: ["services"], lease: .seconds(30))
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let got = try await broker.reserve(max: 3, wait: .milliseconds(10))
            #expect(got.map { String(decoding: $0.raw, as: UTF8.self) } == ["first", "second", "third"])
            let locks = got.map { broker.locks.user(7, token: $0.tag) }
            #expect(try await broker.lockOrPark(locks[0], for: got[0]) == .acquired)
            #expect(try await broker.lockOrPark(locks[1], for: got[1]) == .parked)
            #expect(try await broker.lockOrPark(locks[2], for: got[2]) == .parked)
            #expect(try await redis.command(["HLEN", "discord-worker:worker:w1:inflight"]) == .integer(1), "parked messages hold no lease")
            #expect(try await redis.command(["LLEN", "discord-worker:lock:user:7:waiting"]) == .integer(2))
            #expect(try await BrokerInspector(redis: redis).waitingForLocksCount() == 2)
            #expect(Self.strings(try await redis.command(["SMEMBERS", "discord-worker:worker:w1:locks"])) == ["discord-worker:lock:user:7"])
            let ttl = try await redis.command(["PTTL", "discord-worker:lock:user:7"]).int ?? 0
            #expect(ttl > 0 && ttl <= 30_000, "the lock lives one lease")

            #expect(try await locks[0].release() == 2)
            #expect(try await redis.command(["EXISTS", "discord-worker:lock:user:7"]) == .integer(0))
            #expect(try await BrokerInspector(redis: redis).waitingForLocksCount() == 0)
            let again = try await broker.reserve(max: 3, wait: .milliseconds(10))
            #expect(again.map { String(decoding: $0.raw, as: UTF8.self) } == ["second", "third"], "oldest first, at the front")
            await broker.close()
        }
    }

    @Test func recoveryDeletesOnlyTheDeadHoldersLocksAndWakesTheirWaiters() async throws {
        try await withRedis { server in
            let redis = server.client()
            try await redis.command(["LPUSH", "services", "held"])
            let dead = RedisBroker(url: server.url, workerID: "dead", sourceKeys: ["services"], lease: .milliseconds(300))
            server.closeOnStop { await dead.close() }
            try await dead.register(info: [:])
            let held = try await dead.reserve(max: 1, wait: .milliseconds(10))
            #expect(try await dead.lockOrPark(dead.locks.user(1, token: held[0].tag), for: held[0]) == .acquired)
            // A lock of user 2 the dead worker took, that expired and was taken by someone else since: kept.
            try await redis.command(["SADD", "discord-worker:worker:dead:locks", "discord-worker:lock:user:2"])
            try await redis.command(["SET", "discord-worker:lock:user:2", "other#1"])
            // A message of user 1 parked by another worker behind the dead one's lock.
            try await redis.command(["RPUSH", "discord-worker:lock:user:1:waiting", RedisArgument(bytes: Array("services".utf8) + [0] + Array("waiting".utf8))])
            try await redis.command(["SADD", "discord-worker:lock-waiting", "discord-worker:lock:user:1"])
            await dead.close()  // no heartbeat any more: "kill -9"

            let live = RedisBroker(url: server.url, workerID: "live", sourceKeys: ["services"], lease: .seconds(30))
            server.closeOnStop { await live.close() }
            try await live.register(info: [:])
            try await waitUntil(timeout: .seconds(5), "the dead worker's alive key to expire") {
                try await redis.command(["EXISTS", "discord-worker:worker:dead:alive"]) == .integer(0)
            }
            #expect(try await live.recoverDeadWorkers() == 2, "the held message and the one parked behind its lock")
            #expect(try await redis.command(["EXISTS", "discord-worker:lock:user:1"]) == .integer(0))
            #expect(try await redis.command(["GET", "discord-worker:lock:user:2"]) == .bulk(Array("other#1".utf8)))
            #expect(try await redis.command(["EXISTS", "discord-worker:worker:dead:locks"]) == .integer(0))
            let back = try await live.reserve(max: 5, wait: .milliseconds(10))
            #expect(Set(back.map { String(decoding: $0.raw, as: UTF8.self) }) == ["held", "waiting"])
            await live.close()
        }
    }

    @Test func heartbeatRenewsHeldLocksAndTheSweepWakesWaitersOfExpiredOnes() async throws {
        try await withRedis { server in
            let redis = server.client()
            let broker = RedisBroker(url: server.url, workerID: "w1", sourceKeys: ["services"], lease: .seconds(30))
            server.closeOnStop { await broker.close() }
            try await broker.register(info: [:])
            let lock = broker.locks.named("create-role:abc", token: "x")
            #expect(try await lock.tryAcquire())
            #expect(try await lock.tryAcquire() == false)
            #expect(try await redis.command(["GET", "discord-worker:lock:create-role:abc"]) == .bulk(Array("w1#x".utf8)))
            try await Task.sleep(for: .seconds(1))
            let before = try await redis.command(["PTTL", "discord-worker:lock:create-role:abc"]).int ?? 0
            try await broker.heartbeat()
            let after = try await redis.command(["PTTL", "discord-worker:lock:create-role:abc"]).int ?? 0
            #expect(before <= 29_000 && after > before, "the heartbeat renewed the held lock to a full lease: \(before) → \(after)")

            // An expired lock with waiters (its holder never released): the sweep returns them.
            try await redis.command(["RPUSH", "discord-worker:lock:user:9:waiting", RedisArgument(bytes: Array("services".utf8) + [0] + Array("parked".utf8))])
            try await redis.command(["SADD", "discord-worker:lock-waiting", "discord-worker:lock:user:9"])
            #expect(try await broker.sweepExpiredLocks() == 1)
            #expect(Self.strings(try await redis.command(["LRANGE", "services", "0", "-1"])) == ["parked"])
            #expect(try await lock.release() == 0)
            #expect(try await redis.command(["EXISTS", "discord-worker:lock:create-role:abc"]) == .integer(0))
            await broker.close()
        }
    }
}
