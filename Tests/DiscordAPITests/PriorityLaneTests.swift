@testable import DiscordAPI
import DiscordSandbox
import Logging
import RedisClient
import Testing
import TestSupport

extension IntegrationTests {
    /// The priority lane of the acquire script on a real redis-server, with the clock injected
    /// (`now`): every expectation is a decision at one instant. No sleeps, no timing.
    @Suite("Priority lane: decisions")
    struct PriorityLaneDecisionTests {
        static let token: Secret = "lane-test-token"
        let route = DiscordRoute.modifyMember(1001, 2002)
        let t0: Int64 = 1_000_000

        /// A limiter whose PATCH bucket is known: `limit` per 5 s under hash "h1".
        func withLane(limit: Int = 2, share: Double = 0.5,
                      _ body: (SharedRateLimiter, RedisClient) async throws -> Void) async throws {
            let server = try await startRedisServer()
            let redis = RedisClient(url: server.url, name: "lane-test")
            let options = RateLimitOptions(interactiveShare: share, interactiveTicket: .seconds(2), bulkYield: .milliseconds(50))
            let limiter = SharedRateLimiter(redis: redis, options: options, botToken: Self.token,
                                            requestTimeout: .seconds(10), logger: Logger(label: "test"))
            do {
                _ = try await redis.command(["SET", RedisArgument(limiter.keys.routeBucket(route)), "h1"])
                _ = try await redis.command(["HSET", RedisArgument(limiter.keys.learnedLimits(hash: "h1")),
                                             "limit", RedisArgument(String(limit)), "window", "5000"])
                try await body(limiter, redis)
            } catch {
                await redis.close()
                await server.stop()
                throw error
            }
            await redis.close()
            await server.stop()
        }

        enum Decision: Equatable {
            case go
            case wait(Int64)
        }

        /// One acquire at `now` (ms); reservations are scored at `now` (as if answered at once).
        func acquire(_ limiter: SharedRateLimiter, _ redis: RedisClient, _ id: String, _ priority: RequestPriority,
                     at now: Int64) async throws -> Decision {
            var args = limiter.acquireArguments(route, isBot: true, id: id, priority: priority, now: now)
            args[10] = "0"  // hold: score the reservation at `now`
            let reply = try await redis.eval(RedisScript(RateLimitScripts.acquire), args: args.map { RedisArgument($0) })
            let items = try #require(reply.array)
            let kind = try #require(items[0].int)
            #expect(items[2].string == "h1:1001")
            switch kind {
            case 0: return .go
            case 1: return .wait(try #require(items[1].int))
            default:
                Issue.record("unexpected kind \(kind)")
                return .wait(-1)
            }
        }

        @Test func aWaitingInteractiveRequestGetsTheNextSlotBeforeWaitingBulk() async throws {
            try await withLane { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0) == .go)
                // Full until t0 + 5000: both wait, the interactive one leaves a claim.
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 10) == .wait(4991))
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 100) == .wait(4901))
                // The slots free; the bulk request comes back first but yields.
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 5001) == .wait(50))
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 5002) == .go)
                // The claim is gone; the bulk takes the other free slot one step (5000 / 2 ms) after i1's.
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 5051) == .wait(2451))
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 7502) == .go)
            }
        }

        @Test func bulkKeepsItsShareWhileInteractiveRequestsKeepComing() async throws {
            // limit 4 per 5 s (a step of 1250 ms), share 50%: at most 2 slots per window go to waiting
            // interactive requests ahead of waiting bulk.
            try await withLane(limit: 4) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                for id in ["b1", "b2", "b3", "b4"] { #expect(try await acquire(limiter, redis, id, .bulk, at: t0) == .go) }
                for id in ["i1", "i2", "i3"] { #expect(try await acquire(limiter, redis, id, .interactive, at: t0 + 1) == .wait(5000)) }
                #expect(try await acquire(limiter, redis, "b5", .bulk, at: t0 + 5001) == .wait(50))
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 5001) == .go)
                #expect(try await acquire(limiter, redis, "i2", .interactive, at: t0 + 5001) == .go)
                // Paced one step after i2; then i3 still has a live claim, but the share is used: bulk goes.
                #expect(try await acquire(limiter, redis, "b5", .bulk, at: t0 + 5002) == .wait(1249))
                #expect(try await acquire(limiter, redis, "b5", .bulk, at: t0 + 6251) == .go)
            }
        }

        @Test func theClaimOfARequestThatNeverCameBackLapses() async throws {
            try await withLane { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0) == .go)
                // Claim until t0 + 100 + 4901 + 2000 = t0 + 7001.
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 100) == .wait(4901))
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 7000) == .wait(50))
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 7002) == .go)
            }
        }

        @Test func whileInteractiveRequestsWaitABusyBulkIsPacedOneSlotAtATime() async throws {
            // limit 3 per 5 s: after a first burst, one bulk slot per 1666 ms while there is interactive demand.
            try await withLane(limit: 3) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                for id in ["b1", "b2", "b3"] { #expect(try await acquire(limiter, redis, id, .bulk, at: t0) == .go) }
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 100) == .wait(4901))
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 5001) == .go)
                // Slots are free, but the bucket was busy: one bulk slot per step (1666 ms) after the last
                // grant of either class (i1), then after b4.
                #expect(try await acquire(limiter, redis, "b4", .bulk, at: t0 + 5002) == .wait(1665))
                #expect(try await acquire(limiter, redis, "b4", .bulk, at: t0 + 6667) == .go)
                #expect(try await acquire(limiter, redis, "b5", .bulk, at: t0 + 6668) == .wait(1665))
                #expect(try await acquire(limiter, redis, "b5", .bulk, at: t0 + 8340) == .go)
            }
        }

        @Test func withoutInteractiveDemandABulkKeepsItsBursts() async throws {
            try await withLane { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 5001) == .go)
                #expect(try await acquire(limiter, redis, "b4", .bulk, at: t0 + 5002) == .go)
            }
        }

        @Test func noLaneWhenTheShareIsZero() async throws {
            try await withLane(share: 0) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 100) == .wait(4901))
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 5001) == .go)
            }
        }

        @Test func interactiveRequestsWithRoomNeverWaitForBulk() async throws {
            try await withLane(limit: 4) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0) == .go)
                // A bulk request with room and no claim goes at once.
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0) == .go)
            }
        }

        @Test func theLastFreeSlotGoesToBulkOnlyWhenTheNextOneFreesWithinAStep() async throws {
            // limit 3 per 5 s, a step of 1666 ms. With interactive demand, taking the last free slot would
            // leave the bucket full, nothing freeing, until t0 + 5000: the bulk waits until a step before.
            try await withLane(limit: 3) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                #expect(try await acquire(limiter, redis, "i0", .interactive, at: t0) == .go)
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0 + 1) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0 + 2) == .wait(3332))
                // The slot is there for a single request that comes meanwhile, at once.
                #expect(try await acquire(limiter, redis, "i1", .interactive, at: t0 + 100) == .go)
                // Now the bucket is full: the bulk waits for the first slot to free, like everyone.
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0 + 3334) == .wait(1667))
            }
        }

        @Test func withoutInteractiveDemandTheLastSlotIsTakenAtOnce() async throws {
            try await withLane(limit: 3) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                for id in ["b1", "b2", "b3"] { #expect(try await acquire(limiter, redis, id, .bulk, at: t0 + 1) == .go) }
            }
        }

        @Test func anInteractiveRequestInAnotherBucketMakesBulkLeaveRoomHereToo() async throws {
            // A single task's GET member (another bucket) comes before its PATCH: the PATCH bucket must
            // already have room then.
            try await withLane(limit: 3) { (limiter: SharedRateLimiter, redis: RedisClient) async throws in
                let other = DiscordRoute.getMember(1001, 3003)
                _ = try await redis.command(["SET", RedisArgument(limiter.keys.routeBucket(other)), "h2"])
                _ = try await redis.command(["HSET", RedisArgument(limiter.keys.learnedLimits(hash: "h2")), "limit", "5", "window", "1000"])
                var args = limiter.acquireArguments(other, isBot: true, id: "i0", priority: .interactive, now: t0)
                args[10] = "0"
                let reply = try await redis.eval(RedisScript(RateLimitScripts.acquire), args: args.map { RedisArgument($0) })
                #expect(reply.array?.first?.int == 0)
                #expect(try await acquire(limiter, redis, "b1", .bulk, at: t0 + 1) == .go)
                #expect(try await acquire(limiter, redis, "b2", .bulk, at: t0 + 2) == .go)
                #expect(try await acquire(limiter, redis, "b3", .bulk, at: t0 + 3) == .wait(3332))
            }
        }
    }

    /// Real clients (own Redis connection and HTTP client each, as separate processes) against the
    /// sandbox: outcomes and order in the sandbox's request log, no timing.
    @Suite("Priority lane: clients against the sandbox")
    struct PriorityLaneClientTests {
        func user(_ index: Int) -> Snowflake { Snowflake(SandboxSeed.firstUserID + UInt64(index)) }

        @Test func aSingleRequestGetsABucketSlotBeforeQueuedBulkRequestsAndTheBulkFinishes() async throws {
            let bulkCount = 12
            try await Harness.with(configure: {
                $0.routeLimits[.modifyMember] = RateLimitRule(limit: 2, window: .seconds(1))
                $0.requestLogLimit = 1000
            }, seed: .generated(memberCount: 20)) { (h: Harness) async throws -> Void in
                let bulk = h.client("bulk"), single = h.client("single")
                let guild = h.guild
                let bulkRun = Task {
                    try await RequestPriority.$current.withValue(.bulk) {
                        try await withThrowingTaskGroup(of: ModifyResult.self) { group in
                            for index in 0..<bulkCount {
                                group.addTask { try await bulk.modifyMember(guild: guild, user: user(index + 1), nick: "Bulk \(index)") }
                            }
                            var results: [ModifyResult] = []
                            for try await result in group { results.append(result) }
                            return results
                        }
                    }
                }
                // The bucket is full and the rest of the bulk is queued behind it.
                try await waitUntil(timeout: .seconds(20), interval: .milliseconds(5), "the bulk filling the bucket") {
                    await h.sandbox.stats().requests(.modifyMember) >= 2
                }
                let sentBefore = await h.sandbox.stats().requests(.modifyMember)
                let result = try await single.modifyMember(guild: guild, user: user(bulkCount + 1), nick: "Single")
                #expect(result != .notMember)

                let results = try await bulkRun.value
                #expect(results.count == bulkCount)
                #expect(!results.contains(.notMember))

                let patches = await h.sandbox.requestLog().filter { $0.route == .modifyMember && $0.status == 200 }
                #expect(patches.count == bulkCount + 1)
                let position = try #require(patches.firstIndex { $0.path.hasSuffix("/\(user(bulkCount + 1))") })
                // Sent as the next slot freed: at most one bulk request already granted when it started
                // waiting may be ahead of it; the other queued bulk requests all went after it.
                #expect(position <= sentBefore + 1, "single request was #\(position) of \(patches.count); \(sentBefore) sent before it asked")
                #expect(bulkCount + 1 - position >= bulkCount - sentBefore - 1)
                let stats = await h.sandbox.stats()
                #expect(stats.rateLimited.total == 0)
            }
        }
    }
}
