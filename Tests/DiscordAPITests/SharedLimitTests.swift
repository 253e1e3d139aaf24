@testable import DiscordAPI
import DiscordSandbox
import Foundation
import RedisClient
import Synchronization
import Testing
import TestSupport

extension IntegrationTests {
    /// Several independent clients (own Redis connection, own HTTP client each, like separate worker
    /// processes) against one sandbox: the limits are shared through Redis.
    @Suite("Shared rate limits against the sandbox")
    struct SharedLimitTests {
        func user(_ index: Int) -> Snowflake { Snowflake(SandboxSeed.firstUserID + UInt64(index)) }

        @Test func forced429BlocksItsBucketForEveryClient() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let a = h.client("a"), b = h.client("b")
                await h.sandbox.setFaults(SandboxFaults(forcedRateLimits: [
                    SandboxForcedRateLimit(route: .modifyMember, count: 1, retryAfter: .milliseconds(2500), scope: .user),
                ]))
                let guild = h.guild
                let first = Task { try await a.modifyMember(guild: guild, user: user(1), nick: "First") }
                // Wait until client a has recorded the 429 in Redis (requests sent before that moment
                // cannot know about it, on Discord as here).
                try await waitUntil(timeout: .seconds(10), interval: .milliseconds(5), "the forced 429 recorded") {
                    a.statistics().tooManyRequests == 1
                }
                // Another process, another member, same guild: the same bucket, so it must wait too.
                let second = Task { try await b.modifyMember(guild: guild, user: user(2), nick: "Second") }
                // Other buckets are not blocked: this completes while both PATCHes wait.
                _ = try await b.getMember(guild: guild, user: user(3))
                let during = await h.sandbox.stats()
                #expect(during.requests(.modifyMember) == 1, "a PATCH was sent into the blocked bucket")

                #expect(try await first.value != .notMember)
                #expect(try await second.value != .notMember)
                let after = await h.sandbox.stats()
                // Anything sent into the bucket before retry_after had passed would have been refused again.
                #expect(after.rateLimited.total == 1)
                #expect(after.requests(.modifyMember) == 3)
                #expect(h.sandbox.state.member(user(2).rawValue)?.nick == "Second")
                #expect(a.statistics().tooManyRequests == 1 && b.statistics().tooManyRequests == 0)
            }
        }

        @Test func forcedGlobal429StopsEverything() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let a = h.client("a"), b = h.client("b")
                await h.sandbox.setFaults(SandboxFaults(forcedRateLimits: [
                    SandboxForcedRateLimit(route: .getRoles, count: 1, retryAfter: .milliseconds(2000), scope: .global),
                ]))
                let guild = h.guild
                let first = Task { try await a.getRoles(guild: guild) }
                try await waitUntil(timeout: .seconds(10), interval: .milliseconds(5), "the forced global 429 recorded") {
                    a.statistics().tooManyRequests == 1
                }
                let others = Task {
                    async let member = b.getMember(guild: guild, user: user(1))
                    async let guildInfo = b.getGuild(guild: guild)
                    return try await (member, guildInfo)
                }
                #expect(try await first.value.isEmpty == false)
                let (member, info) = try await others.value
                #expect(member != nil && info.id == guild)
                let stats = await h.sandbox.stats()
                #expect(stats.rateLimited.total == 1, "a request was sent during the global block")
                #expect(stats.totalRequests == 4)
            }
        }

        @Test func unauthorizedStopsEveryProcess() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let a = h.client("a"), b = h.client("b")
                _ = try await a.getRoles(guild: h.guild)
                await h.sandbox.setFaults(SandboxFaults(tokenRevoked: true))
                let first = await apiError { try await a.getRoles(guild: h.guild) }
                #expect(first?.code == .unauthorized && first?.status == 401)
                #expect(first?.message.contains("DISCORD_BOT_TOKEN") == true)
                #expect(first.map { "\($0)" }?.contains("tOkEn") == false)
                let sent = await h.sandbox.stats().totalRequests
                // Neither this process nor another one sends anything with the rejected token.
                let again = await apiError { try await a.getMember(guild: h.guild, user: user(1)) }
                let other = await apiError { try await b.modifyMember(guild: h.guild, user: user(1), nick: "x") }
                #expect(again?.code == .unauthorized && other?.code == .unauthorized)
                #expect(await h.sandbox.stats().totalRequests == sent)
                // The log saw every request (trace level) and the 401; `finish` checks the token is in none.
                let lines = h.capture.lines
                #expect(lines.contains { $0.contains("Discord request") && $0.contains("status=401") })
                #expect(lines.contains { $0.contains("HTTP exchange done") })
            }
        }

        @Test func invalidRequestBudgetFailsFast() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let a = h.client("a") { $0.invalidRequestCap = 3 }
                let b = h.client("b") { $0.invalidRequestCap = 3 }
                let above = Snowflake(SandboxSeed.adminRoleID)
                for index in 1...3 {
                    let error = await apiError { try await a.addMemberRole(guild: h.guild, user: user(index), role: above) }
                    #expect(error?.code == .missingPermissions)
                }
                let sent = await h.sandbox.stats().totalRequests
                let refused = await apiError { try await b.getRoles(guild: h.guild) }
                #expect(refused?.code == .invalidRequestBudget)
                #expect(refused?.retryAfter != nil)
                #expect(await h.sandbox.stats().totalRequests == sent)
            }
        }

        /// Runs `total` calls spread over `clients` × `tasksPerClient` tasks; returns completion instants.
        func hammer(
            _ clients: [DiscordClient], tasksPerClient: Int, total: Int,
            _ call: @escaping @Sendable (DiscordClient, Int) async throws -> Void
        ) async throws -> [ContinuousClock.Instant] {
            let progress = HammerProgress()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients {
                    for _ in 0..<tasksPerClient {
                        group.addTask {
                            while true {
                                let ticket = progress.tickets.add(1, ordering: .relaxed).newValue
                                if ticket > total { return }
                                try await call(client, ticket)
                                progress.done.withLock { $0.append(.now) }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            return progress.done.withLock { $0 }.sorted()
        }

        /// Requests per second after the first full burst: with `limit` per `window` and a fresh start,
        /// `limit × (k + 1)` requests span k windows.
        func rate(_ instants: [ContinuousClock.Instant], burst: Int) -> Double {
            guard let first = instants.first, let last = instants.last, last > first else { return 0 }
            let span = last - first
            let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
            return Double(instants.count - burst) / seconds
        }

        @Test func fourClientsShareOneBucketAndTheGlobalLimit() async throws {
            // Small windows so that a few windows fit in a few seconds.
            let bucket = RateLimitRule(limit: 10, window: .seconds(1))
            let global = RateLimitRule(limit: 20, window: .seconds(1))
            try await Harness.with(configure: {
                $0.routeLimits = [.modifyMember: bucket]
                $0.globalLimit = global
            }, seed: .generated(memberCount: 40)) { (h: Harness) async throws -> Void in
                let guild = h.guild
                let clients = (0..<4).map { index in
                    h.client("worker\(index)") { $0.globalLimit = RateLimitWindow(limit: 20, window: .seconds(1)) }
                }
                // 1. One bucket: 40 PATCHes = 10 × (3 + 1): three windows after the first burst.
                let patches = try await hammer(clients, tasksPerClient: 3, total: 40) { client, ticket in
                    _ = try await client.modifyMember(guild: guild, user: user(1 + ticket % 39), nick: "n\(ticket)")
                }
                let bucketRate = rate(patches, burst: 10)
                var stats = await h.sandbox.stats()
                #expect(stats.rateLimited.total == 0)
                #expect(stats.requests(.modifyMember) == 40)
                #expect(bucketRate >= 9.0 && bucketRate <= 11.0, "bucket throughput \(bucketRate)/s for a 10/s limit")

                // 2. The global limit (20/s) with the same bucket in the mix, on a fresh second: a
                //    different guild bucket is not needed, the global log just has to drain first.
                try await waitUntil(timeout: .seconds(5), interval: .milliseconds(50), "global log drained") {
                    let count = try await h.redisServerCount(clients[0].rateLimitKeys.globalLog, olderThan: .milliseconds(1100))
                    return count == 0
                }
                await h.sandbox.resetStats()
                let mixed = try await hammer(clients, tasksPerClient: 4, total: 80) { client, ticket in
                    switch ticket % 4 {
                    case 0: _ = try await client.modifyMember(guild: guild, user: user(1 + ticket % 39), nick: "m\(ticket)")
                    case 2: _ = try await client.getGuild(guild: guild)
                    default: _ = try await client.getRoles(guild: guild)
                    }
                }
                let globalRate = rate(mixed, burst: 20)
                stats = await h.sandbox.stats()
                #expect(stats.rateLimited.total == 0)
                #expect(stats.totalRequests == 80)
                #expect(globalRate >= 18.0 && globalRate <= 22.0, "global throughput \(globalRate)/s for a 20/s limit")
                print("shared-limit throughput: bucket \(String(format: "%.2f", bucketRate))/s of 10/s, global \(String(format: "%.2f", globalRate))/s of 20/s, 429s: \(stats.rateLimited.total)")
            }
        }
    }
}

final class HammerProgress: Sendable {
    let tickets = Atomic<Int>(0)
    let done = Mutex<[ContinuousClock.Instant]>([])
}

extension Harness {
    /// Entries of a sliding log that are still inside `window` (to wait for a drained log).
    func redisServerCount(_ key: String, olderThan window: Duration) async throws -> Int {
        try await withRedisClient(redisServer.url(db: 1), name: "inspect") { redis in
            let time = try await redis.command(["TIME"])
            let parts = time.array?.compactMap(\.string) ?? []
            guard parts.count == 2, let seconds = Int64(parts[0]), let micros = Int64(parts[1]) else { return -1 }
            let now = seconds * 1000 + micros / 1000
            let cutoff = now - Int64(window.wholeMilliseconds)
            let count = try await redis.command(["ZCOUNT", RedisArgument(key), RedisArgument("(\(cutoff)"), "+inf"])
            return Int(count.int ?? -1)
        }
    }
}
