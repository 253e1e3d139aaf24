@testable import DiscordAPI
import Logging
import RedisClient
import Testing
import TestSupport

extension IntegrationTests {
    /// The Lua scripts on a real redis-server, driven through `SharedRateLimiter` and raw `EVALSHA`.
    /// No sleeps: every expectation is about a decision at one instant.
    @Suite("Rate-limit scripts on Redis")
    struct LimiterScriptTests {
        static let token: Secret = "limiter-test-token"
        let route = DiscordRoute.modifyMember(1001, 2002)
        let otherGuild = DiscordRoute.modifyMember(1002, 2002)

        func withLimiter(
            _ configure: (inout RateLimitOptions) -> Void = { _ in },
            _ body: (SharedRateLimiter, RedisClient) async throws -> Void
        ) async throws {
            let server = try await startRedisServer()
            let redis = RedisClient(url: server.url, name: "limiter-test")
            var options = RateLimitOptions(routeSeeds: [
                "PATCH /guilds/:id/members/:id": RateLimitWindow(limit: 2, window: .seconds(5)),
            ])
            configure(&options)
            let limiter = SharedRateLimiter(redis: redis, options: options, botToken: Self.token,
                                            requestTimeout: .seconds(10), logger: Logger(label: "test"))
            do {
                try await body(limiter, redis)
            } catch {
                await redis.close()
                await server.stop()
                throw error
            }
            await redis.close()
            await server.stop()
        }

        /// One raw acquire: (kind, ms, bucket id).
        func rawAcquire(_ limiter: SharedRateLimiter, _ redis: RedisClient, _ route: DiscordRoute, id: String, bot: Bool = true) async throws -> (Int64, Int64, String) {
            let seed = limiter.seed(for: route)
            let args: [String] = [
                limiter.keys.scope, limiter.keys.invalid, route.name, route.majorID, route.group,
                String(seed?.limit ?? 0), String(seed?.window.wholeMilliseconds ?? 0),
                bot ? String(limiter.options.globalLimit.limit) : "0", String(limiter.options.globalLimit.window.wholeMilliseconds),
                id, "11000", String(limiter.options.invalidRequestCap), String(limiter.options.invalidRequestWindow.wholeMilliseconds),
            ]
            let reply = try await redis.eval(RedisScript(RateLimitScripts.acquire), args: args.map { RedisArgument($0) })
            let items = try #require(reply.array)
            return (try #require(items[0].int), try #require(items[1].int), items[2].string ?? "")
        }

        func headers(bucket: String, limit: Int, remaining: Int, resetAfter: Duration) -> RateLimitHeaders {
            RateLimitHeaders(bucket: bucket, limit: limit, remaining: remaining, resetAfter: resetAfter)
        }

        @Test func inFlightReservationsHoldTheirSlotForAFullWindow() async throws {
            try await withLimiter { limiter, redis in
                // Unknown bucket: one probe at a time.
                let probe = try await limiter.acquire(route, isBot: true)
                let (kind, ms, bucket) = try await rawAcquire(limiter, redis, route, id: "x1")
                #expect(kind == 1 && ms > 0 && ms <= 20)
                #expect(bucket == RateLimitKeys.defaultBucketID(route))
                _ = await limiter.complete(probe, RateLimitOutcome(status: 200, headers: RateLimitHeaders(), tooManyRequests: nil))
                // Still no bucket hash: the seed (2 per 5 s) applies; the second slot is free.
                let second = try await limiter.acquire(route, isBot: true)
                // Full: the in-flight one frees a whole window after its response, at least 5 s from now.
                let (kind2, wait2, _) = try await rawAcquire(limiter, redis, route, id: "x2")
                #expect(kind2 == 1 && wait2 > 4_000 && wait2 <= 5_001)
                _ = await limiter.complete(second, RateLimitOutcome(status: 204, headers: RateLimitHeaders(), tooManyRequests: nil))
                // Another guild has its own copy of the bucket.
                #expect(try await rawAcquire(limiter, redis, otherGuild, id: "x3").0 == 0)
            }
        }

        @Test func learnsBucketAndWindowFromAFreshWindow() async throws {
            try await withLimiter { limiter, redis in
                let first = try await limiter.acquire(route, isBot: true)
                _ = await limiter.complete(first, RateLimitOutcome(
                    status: 200, headers: headers(bucket: "abc123", limit: 3, remaining: 2, resetAfter: .milliseconds(800)), tooManyRequests: nil))
                #expect(try await redis.command(["GET", RedisArgument(limiter.keys.routeBucket(route))]).string == "abc123")
                let learned = try await redis.command(["HMGET", RedisArgument(limiter.keys.learnedLimits(hash: "abc123")), "limit", "window"])
                #expect(learned.array?.compactMap(\.string) == ["3", "800"])
                // The probe's reservation moved into the real bucket: 1 used, 2 left, then a wait ≤ 800 ms.
                #expect(try await rawAcquire(limiter, redis, route, id: "y1").2 == "abc123:1001")
                #expect(try await rawAcquire(limiter, redis, route, id: "y2").0 == 0)
                let (kind, wait, _) = try await rawAcquire(limiter, redis, route, id: "y3")
                #expect(kind == 1 && wait <= 801)
                #expect(try await redis.command(["EXISTS", RedisArgument(limiter.keys.bucketLog(RateLimitKeys.defaultBucketID(route)))]).int == 0)
            }
        }

        @Test func routesOfOneDefaultGroupShareTheLearnedBucket() async throws {
            try await withLimiter { limiter, redis in
                let put = DiscordRoute.addMemberRole(1001, 7, 8)
                let delete = DiscordRoute.removeMemberRole(1001, 9, 10)
                let first = try await limiter.acquire(put, isBot: true)
                _ = await limiter.complete(first, RateLimitOutcome(
                    status: 204, headers: headers(bucket: "roles42", limit: 10, remaining: 9, resetAfter: .seconds(10)), tooManyRequests: nil))
                #expect(try await rawAcquire(limiter, redis, delete, id: "d1").2 == "roles42:1001")
                // Still one at a time for the route that has not answered itself yet.
                let (kind, ms, _) = try await rawAcquire(limiter, redis, delete, id: "d2")
                #expect(kind == 1 && ms <= 20)
                #expect(try await rawAcquire(limiter, redis, put, id: "p1").0 == 0)
            }
        }

        @Test func tooManyRequestsBlockTheirScope() async throws {
            try await withLimiter { limiter, redis in
                let kick = DiscordRoute.removeMember(1001, 5)
                let reservation = try await limiter.acquire(kick, isBot: true)
                let verdict = TooManyRequestsVerdict(scope: .bucket, wait: .milliseconds(3000), countsAsInvalid: true, isCloudflareBlock: false)
                _ = await limiter.complete(reservation, RateLimitOutcome(status: 429, headers: RateLimitHeaders(), tooManyRequests: verdict))
                let (kind, wait, _) = try await rawAcquire(limiter, redis, kick, id: "k")
                #expect(kind == 1 && wait > 2_000 && wait <= 3_000)
                // Other buckets are free.
                #expect(try await rawAcquire(limiter, redis, DiscordRoute.getRoles(1001), id: "r").0 == 0)

                let global = TooManyRequestsVerdict(scope: .global, wait: .milliseconds(4000), countsAsInvalid: true, isCloudflareBlock: false)
                let roles = try await limiter.acquire(DiscordRoute.getRoles(1001), isBot: true)
                _ = await limiter.complete(roles, RateLimitOutcome(status: 429, headers: RateLimitHeaders(), tooManyRequests: global))
                let (gkind, gwait, _) = try await rawAcquire(limiter, redis, DiscordRoute.getGuild(77), id: "g")
                #expect(gkind == 1 && gwait > 3_000 && gwait <= 4_000)
                // A Bearer request is not subject to the bot's global block.
                #expect(try await rawAcquire(limiter, redis, DiscordRoute.currentUser, id: "b", bot: false).0 == 0)
                // Both 429s counted as invalid requests.
                #expect(try await redis.command(["ZCARD", RedisArgument(limiter.keys.invalid)]).int == 2)
            }
        }

        @Test func unauthorizedLatchAndInvalidBudget() async throws {
            try await withLimiter({ $0.invalidRequestCap = 3 }) { limiter, redis in
                let r1 = try await limiter.acquire(DiscordRoute.getRoles(1), isBot: true)
                _ = await limiter.complete(r1, RateLimitOutcome(status: 403, headers: RateLimitHeaders(), tooManyRequests: nil))
                let shared = TooManyRequestsVerdict(scope: .shared, wait: .milliseconds(1), countsAsInvalid: false, isCloudflareBlock: false)
                let r2 = try await limiter.acquire(DiscordRoute.getRoles(2), isBot: true)
                _ = await limiter.complete(r2, RateLimitOutcome(status: 429, headers: RateLimitHeaders(), tooManyRequests: shared))
                #expect(try await redis.command(["ZCARD", RedisArgument(limiter.keys.invalid)]).int == 1)

                let r3 = try await limiter.acquire(DiscordRoute.getRoles(3), isBot: true)
                _ = await limiter.complete(r3, RateLimitOutcome(status: 401, headers: RateLimitHeaders(), tooManyRequests: nil))
                #expect(try await redis.command(["EXISTS", RedisArgument(limiter.keys.unauthorizedLatch)]).int == 1)
                let error = await apiError { try await limiter.acquire(DiscordRoute.getRoles(4), isBot: true) }
                #expect(error?.code == .unauthorized && error?.message.contains("DISCORD_BOT_TOKEN") == true)

                // Bearer calls do not care about the bot latch, but the invalid budget covers everything.
                let r4 = try await limiter.acquire(DiscordRoute.currentUser, isBot: false)
                _ = await limiter.complete(r4, RateLimitOutcome(status: 401, headers: RateLimitHeaders(), tooManyRequests: nil))
                let budget = await apiError { try await limiter.acquire(DiscordRoute.currentUser, isBot: false) }
                #expect(budget?.code == .invalidRequestBudget)
                #expect((budget?.retryAfter ?? .zero) > .seconds(590))
            }
        }

        @Test func waitsBeyondTheCallersLimitFailFast() async throws {
            try await withLimiter({ $0.maxWait = .seconds(1) }) { limiter, _ in
                let reservation = try await limiter.acquire(route, isBot: true)
                let verdict = TooManyRequestsVerdict(scope: .bucket, wait: .seconds(30), countsAsInvalid: true, isCloudflareBlock: false)
                _ = await limiter.complete(reservation, RateLimitOutcome(status: 429, headers: RateLimitHeaders(), tooManyRequests: verdict))
                let error = await apiError { try await limiter.acquire(route, isBot: true) }
                #expect(error?.code == .rateLimited)
                #expect((error?.retryAfter ?? .zero) > .seconds(25))
            }
        }
    }
}
