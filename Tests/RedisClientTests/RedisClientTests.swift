import Foundation
import RedisClient
import TestSupport
import Testing

@Suite("RedisClient against a real redis-server")
struct RedisClientTests {
    @Test func commandsRoundTripBinarySafeValues() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url) { redis in
                let binary: [UInt8] = [0, 1, 2, 255, 0, 0x06, 0x16]
                try await redis.command(["SET", RedisArgument(bytes: binary), RedisArgument(bytes: binary)])
                #expect(try await redis.command(["GET", RedisArgument(bytes: binary)]) == .bulk(binary))
                #expect(try await redis.command(["GET", "missing"]) == .null)
                #expect(try await redis.command(["INCRBY", "n", 41]) == .integer(41))
                #expect(try await redis.command(["SET", "empty", ""]) == .status("OK"))
                #expect(try await redis.command(["GET", "empty"]) == .bulk([]))
                let list = try await redis.command(["LRANGE", "nothing", 0, -1])
                #expect(list == .array([]))
            }
        }
    }

    @Test func errorRepliesAreThrownByCommandAndKeptByPipeline() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url) { redis in
                try await redis.command(["SET", "s", "x"])
                await #expect(throws: RedisError.self) { try await redis.command(["LPUSH", "s", "v"]) }
                let replies = try await redis.pipeline([["INCR", "c"], ["LPUSH", "s", "v"], ["INCR", "c"]])
                #expect(replies[0] == .integer(1))
                #expect(replies[1].errorMessage?.hasPrefix("WRONGTYPE") == true)
                #expect(replies[2] == .integer(2))
            }
        }
    }

    @Test func scriptsLoadOnceAndReloadAfterFlush() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url) { redis in
                let script = RedisScript("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}")
                let first = try await redis.eval(script, keys: ["k"], args: ["a"])
                #expect(first == .array([.bulk(Array("k".utf8)), .bulk(Array("a".utf8)), .integer(1)]))
                try await redis.command(["SCRIPT", "FLUSH"])
                let second = try await redis.eval(script, keys: ["k"], args: ["b"])
                #expect(second.array?[2] == .integer(2))
                await #expect(throws: RedisError.self) { try await redis.eval(RedisScript("return redis.error_reply('boom')")) }
            }
        }
    }

    @Test func passwordDatabaseAndUnixSocket() async throws {
        try await withRedis(password: "s3cret pass") { server in
            try await withRedisClient(server.url(db: 3)) { db3 in
                try await db3.command(["SET", "where", "three"])
            }
            try await withRedisClient(try RedisURL("unix://:s3cret%20pass@\(server.socketPath)?db=3")) { (viaSocket) async throws in
                #expect(try await viaSocket.command(["GET", "where"]).string == "three")
            }
            try await withRedisClient(RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port), password: "wrong")) { wrong in
                do {
                    try await wrong.command(["PING"])
                    Issue.record("expected an authentication error")
                } catch let error as RedisError {
                    #expect(error.code == .connection)
                    #expect(!error.description.contains("wrong"))
                }
            }
        }
    }

    @Test func reconnectsAfterServerRestart() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url) { redis in
                try await redis.command(["SET", "a", "1"])
                try await server.restart()
                // The first command after the restart finds the old socket dead; the next one reconnects.
                var backoff = RedisBackoff(initial: .milliseconds(10))
                var reply: RedisValue?
                for _ in 0..<20 {
                    do { reply = try await redis.command(["PING"]); break } catch { try await Task.sleep(for: backoff.next()) }
                }
                #expect(reply == .status("PONG"))
                #expect(await redis.connects == 2)
            }
        }
    }

    @Test func blockingPopOnItsOwnExecutorDoesNotStallOthers() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url, name: "blocker") { blocker in
                try await withRedisClient(server.url, name: "producer") { producer in
                    async let popped = blocker.command(["BRPOP", "q", 5])
                    try await Task.sleep(for: .milliseconds(50))
                    try await producer.command(["LPUSH", "q", "hello"])
                    #expect(try await popped == .array([.bulk(Array("q".utf8)), .bulk(Array("hello".utf8))]))
                }
            }
        }
    }

    @Test func urlParsing() throws {
        let a = try RedisURL("redis://user:p%40ss@example:6380/2")
        #expect(a.endpoint == .tcp(host: "example", port: 6380))
        #expect(a.database == 2 && a.username == "user" && a.password == "p@ss")
        #expect(!a.description.contains("p@ss"))
        let b = try RedisURL("redis://127.0.0.1")
        #expect(b.endpoint == .tcp(host: "127.0.0.1", port: 6379) && b.database == 0 && b.password == nil)
        let c = try RedisURL("redis://:pw@localhost:6379/1")
        #expect(c.password == "pw" && c.username == nil && c.database == 1)
        let d = try RedisURL("unix:///var/run/redis.sock?db=4")
        #expect(d.endpoint == .unix(path: "/var/run/redis.sock") && d.database == 4)
        let e = try RedisURL("redis://[::1]:7000/0")
        #expect(e.endpoint == .tcp(host: "::1", port: 7000))
        #expect(throws: RedisError.self) { try RedisURL("http://x") }
        #expect(throws: RedisError.self) { try RedisURL("redis://h:notaport/0") }
        #expect(throws: RedisError.self) { try RedisURL("redis://h/abc") }
        #expect(throws: RedisError.self) { try RedisURL("rediss://h") }
    }
}

@Suite("RedisClient pub/sub reads")
struct RedisClientPubSubTests {
    @Test func subscribedClientReceivesPublishedMessagesAndTimesOutQuietly() async throws {
        try await withRedis { server in
            try await withRedisClient(server.url, name: "sub", socketTimeout: .seconds(2)) { subscriber in
                try await withRedisClient(server.url, name: "pub") { publisher in
                    try await pubSub(server: server, subscriber: subscriber, publisher: publisher)
                }
            }
        }
    }

    private func pubSub(server: RedisServerProcess, subscriber: RedisClient, publisher: RedisClient) async throws {
        let confirmation = try await subscriber.subscribe(["/0.celery.pidbox", "other"])
        #expect(confirmation == .array([.bulk(Array("subscribe".utf8)), .bulk(Array("/0.celery.pidbox".utf8)), .integer(1)]))
        // The second confirmation arrives as a pushed reply.
        let second = try await subscriber.nextPushed(timeout: .seconds(5))
        #expect(second?.array?.first?.string == "subscribe")
        // Nothing published: nil after the timeout, and the connection stays usable (longer than the socket timeout).
        for _ in 0..<3 { #expect(try await subscriber.nextPushed(timeout: .milliseconds(900)) == nil) }
        let payload: [UInt8] = [0, 1, 0x06, 0x16, 255]
        #expect(try await publisher.command(["PUBLISH", "/0.celery.pidbox", RedisArgument(bytes: payload)]) == .integer(1))
        let message = try await subscriber.nextPushed(timeout: .seconds(5))
        #expect(message == .array([.bulk(Array("message".utf8)), .bulk(Array("/0.celery.pidbox".utf8)), .bulk(payload)]))
        // Several messages in one read are all returned, in order.
        _ = try await publisher.pipeline([["PUBLISH", "other", "a"], ["PUBLISH", "other", "b"]])
        let first = try await subscriber.nextPushed(timeout: .seconds(5))
        let next = try await subscriber.nextPushed(timeout: .seconds(5))
        #expect(first?.array?.last?.string == "a")
        #expect(next?.array?.last?.string == "b")
        // A dead server is a connection error, not a hang.
        await server.stop()
        await #expect(throws: RedisError.self) {
            for _ in 0..<10 { _ = try await subscriber.nextPushed(timeout: .milliseconds(500)) }
        }
    }
}

@Suite("RedisClient ownership")
struct RedisClientOwnershipTests {
    @Test func aClientThatNeverConnectedMayBeDroppedUnclosed() {
        _ = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: 1)), name: "unused")
    }

    #if DEBUG
    /// As async-http-client does: a connected client dropped without `close()` stops a debug build.
    @Test func aConnectedClientDroppedWithoutCloseStopsADebugBuild() async {
        await #expect(processExitsWith: .failure) {
            let server = try await RedisServerProcess.start()
            do {
                let client = RedisClient(url: server.url, name: "leaked")
                try await client.command(["PING"])
            }
            await server.stop()
        }
    }
    #endif
}
