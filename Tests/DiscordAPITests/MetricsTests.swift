@testable import DiscordAPI
import DiscordSandbox
import Metrics
import MetricsTestKit
import Testing
import TestSupport
import WorkerMetrics

/// The client's metrics through swift-metrics: route templates (never ids) and status codes as labels,
/// 429s and limiter waits counted.
@Suite("Discord client metrics")
struct DiscordClientMetricsTests {
    /// swift-metrics takes one backend per process; every test of this target records into it.
    static let metrics: TestMetrics = {
        let m = TestMetrics()
        MetricsSystem.bootstrap(m)
        return m
    }()

    @Test func requestsAre429sAndWaitsAreCountedByRouteTemplate() async throws {
        let metrics = Self.metrics
        try await Harness.with { (h: Harness) async throws -> Void in
            let client = h.client("metrics")
            let guild = h.guild
            let user = Snowflake(SandboxSeed.firstUserID + 4)
            await h.sandbox.setFaults(SandboxFaults(forcedRateLimits: [
                SandboxForcedRateLimit(route: .modifyMember, count: 1, retryAfter: .milliseconds(1200), scope: .user),
            ]))
            _ = try await client.modifyMember(guild: guild, user: user, nick: "Counted")
            _ = try await client.getMember(guild: guild, user: user)

            let patch = "PATCH /guilds/:id/members/:id"
            #expect(try metrics.expectCounter(MetricName.discordRequests, [("route", patch), ("status", "429")]).totalValue >= 1)
            #expect(try metrics.expectCounter(MetricName.discordRequests, [("route", patch), ("status", "200")]).totalValue >= 1)
            #expect(try metrics.expectCounter(MetricName.discordRequests, [("route", "GET /guilds/:id/members/:id"), ("status", "200")]).totalValue >= 1)
            #expect(try metrics.expectCounter(MetricName.discordRateLimited, [("route", patch), ("scope", "bucket")]).totalValue >= 1)
            #expect(metrics.counters.contains { $0.label == MetricName.discordRateLimitWait && $0.totalValue >= 1 },
                    "about 1.2 s waited before the retry")
            let ids = [String(guild.rawValue), String(user.rawValue)]
            let labels = metrics.counters.flatMap { $0.dimensions.map(\.1) }
            #expect(!labels.contains { value in ids.contains { value.contains($0) } }, "no id in a label: \(Set(labels))")
        }
    }
}
