import Broker
import CeleryProtocol
import Foundation
import PythonCompat
import RedisClient
import TestSupport
import Testing

/// `TaskPublisher`, the one producer of Celery messages outside a settlement, on a real redis-server.
@Suite("TaskPublisher on a real redis-server")
struct TaskPublisherTests {
    static func list(_ redis: RedisClient, _ key: String) async throws -> [[UInt8]] {
        try await redis.command(["LRANGE", RedisArgument(key), "0", "-1"]).array?.compactMap(\.bytes) ?? []
    }

    @Test func newTasksGoWhereTheConfiguredRoutesSendThemAsCeleryBytes() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(url: server.url)
        let publisher = TaskPublisher(url: server.url, routes: .allianceAuth(queue: "discord", defaultQueue: "discord"), origin: "test@host")

        // discord.* follows the configured queue, at its priority list; the bytes are the message's, untouched.
        let routed = try await publisher.send("discord.update_groups", args: [1], priority: 6)
        #expect(routed.queue == "discord" && routed.listKey == "discord\u{06}\u{16}6")
        #expect(try await Self.list(redis, "discord\u{06}\u{16}6") == [routed.bytes])
        let decoded = try TaskMessage.decode(routed.bytes, poppedFrom: routed.listKey)
        #expect(decoded.form == .protocol2 && decoded.task == "discord.update_groups" && decoded.args == [1] && decoded.id == routed.id)
        #expect(decoded.origin == "test@host" && decoded.queue == "discord")
        let envelope = try JSONValue.parse(routed.bytes)
        #expect(envelope["properties"]?["delivery_info"]?["routing_key"] == .string("discord"))

        // Names no route matches go to the default queue; an explicit queue wins over the routes.
        let other = try await publisher.send("celery.ping", priority: 0)
        let explicit = try await publisher.send("discord.update_all_groups", queue: "elsewhere", priority: 0)
        #expect(other.listKey == "discord" && explicit.listKey == "elsewhere")
        #expect(try await Self.list(redis, "discord") == [other.bytes])
        #expect(try await Self.list(redis, "elsewhere") == [explicit.bytes])

        // The same message newTask builds (eta, expires, kwargs), published as it is.
        let now = Date()
        let later = try await publisher.send("discord.delete_user", args: [2], kwargs: ["notify_user": true],
                                             eta: now.addingTimeInterval(60), expires: now.addingTimeInterval(120), now: now)
        let parsed = try TaskMessage.decode(later.bytes, poppedFrom: later.listKey, now: now)
        #expect(parsed.kwargs["notify_user"] == .bool(true) && parsed.eta != nil && parsed.expires != nil)
        #expect(try await Self.list(redis, "discord\u{06}\u{16}5") == [later.bytes])

        await publisher.close()
        await redis.close()
        await server.stop()
    }

    @Test func messagesBuiltElsewhereArePublishedInOrderAndAFailureIsThrown() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(url: server.url)
        let publisher = TaskPublisher(sharing: redis, routes: .allianceAuth(), origin: "test")
        let messages = (1...3).map { TaskMessage.newTask(name: "discord.update_groups", args: [.int(Int64($0))], queue: "services", origin: "test") }
        try await publisher.publish(messages)
        try await publisher.publish(TaskMessage.newTask(name: "celery.ping", queue: "services", priority: 0, origin: "test"))
        // LPUSH: the newest at the head, so a consumer popping from the tail takes them in publishing order.
        let stored = try await Self.list(redis, "services\u{06}\u{16}5")
        #expect(stored == messages.reversed().map(\.bytes))
        #expect(try await Self.list(redis, "services").count == 1)

        // A key that is not a list: the broker's refusal is an error, not a silent loss.
        try await redis.command(["SET", "broken", "x"])
        var wrong = messages[0]
        wrong.listKey = "broken"
        await #expect(throws: RedisError.self) { try await publisher.publish([messages[1], wrong]) }
        await #expect(throws: RedisError.self) { try await publisher.publish(wrong) }

        // A publisher sharing a connection leaves it open.
        await publisher.close()
        #expect(try await redis.command(["PING"]) == .status("PONG"))
        await redis.close()
        await server.stop()
    }
}

/// `ResultBackend`: Celery's Redis result backend, on a real redis-server.
@Suite("ResultBackend on a real redis-server")
struct ResultBackendTests {
    @Test func storesWithResultExpiresAndPublishesOnTheKeysChannel() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(url: server.url(db: 2))
        let subscriber = RedisClient(url: server.url(db: 2), name: "sub", socketTimeout: .seconds(2))
        let backend = ResultBackend(url: server.url(db: 2), expires: 600)
        let key = ResultMeta.key(taskID: "t1")
        _ = try await subscriber.subscribe([key])

        let meta = ResultMeta.success(taskID: "t1", result: "pong", dateDone: Date())
        #expect(try await backend.store(meta, taskID: "t1"))
        #expect(try await redis.command(["GET", RedisArgument(key)]).bytes == meta)
        let ttl = try await redis.command(["TTL", RedisArgument(key)]).int ?? 0
        #expect(ttl > 0 && ttl <= 600)
        let published = try await subscriber.nextPushed(timeout: .seconds(5))
        #expect(published == .array([.bulk(Array("message".utf8)), .bulk(Array(key.utf8)), .bulk(meta)]))

        await backend.close()
        await subscriber.close()
        await redis.close()
        await server.stop()
    }

    @Test func aStoredSuccessIsNeverOverwrittenOtherStatesAre() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(url: server.url)
        let backend = ResultBackend(url: server.url)
        let key = ResultMeta.key(taskID: "t2")
        let retry = ResultMeta.retry(taskID: "t2", excType: "Retry", excMessage: ["later"], excModule: "celery.exceptions", traceback: nil)
        let success = ResultMeta.success(taskID: "t2", result: 3, dateDone: Date())
        let failure = ResultMeta.failure(taskID: "t2", excType: "TaskFailure", excMessage: ["no"], excModule: "discord_worker",
                                         traceback: nil, dateDone: Date())
        #expect(try await backend.store(retry, taskID: "t2"))
        #expect(try await backend.store(success, taskID: "t2"), "RETRY is replaced")
        #expect(try await backend.store(failure, taskID: "t2") == false, "SUCCESS stays")
        #expect(try await redis.command(["GET", RedisArgument(key)]).bytes == success)
        #expect(try await redis.command(["TTL", RedisArgument(key)]).int ?? 0 > 86_000, "result_expires defaults to a day")
        await backend.close()
        await redis.close()
        await server.stop()
    }
}

/// `OnceLocks`: AA's celery_once locks in the Django cache, on a real redis-server.
@Suite("OnceLocks on a real redis-server")
struct OnceLocksTests {
    @Test func takenOnceWithAAsKeyValueAndLifetimeThenReleased() async throws {
        let server = try await RedisServerProcess.start()
        let cache = RedisClient(url: server.url(db: 1))
        let locks = OnceLocks(cache: cache)
        let call = (task: "discord.delete_user", parameters: ["user_pk", "notify_user"], args: [JSONValue.int(1)], kwargs: ["notify_user": true] as JSONObject)
        let key = ":1:qo_discord.delete_user_notify_user-True_user_pk-1"
        #expect(locks.key(task: call.task, parameters: call.parameters, args: call.args, kwargs: call.kwargs) == key)

        #expect(try await locks.take(task: call.task, parameters: call.parameters, args: call.args, kwargs: call.kwargs))
        #expect(try await locks.take(task: call.task, parameters: call.parameters, args: call.args, kwargs: call.kwargs) == false,
                "held: AA's .delay() would refuse the call")
        #expect(try await cache.command(["GET", RedisArgument(key)]).bytes == OnceLock.value)
        let pttl = try await cache.command(["PTTL", RedisArgument(key)]).int ?? 0
        #expect(pttl > 3_500_000 && pttl <= Int64(OnceLock.timeoutMilliseconds))

        // The kwargs-only form of the same call is the same lock.
        try await locks.release(task: call.task, parameters: call.parameters, args: [], kwargs: ["user_pk": 1, "notify_user": true])
        #expect(try await cache.command(["EXISTS", RedisArgument(key)]) == .integer(0))
        await cache.close()
        await server.stop()
    }
}
