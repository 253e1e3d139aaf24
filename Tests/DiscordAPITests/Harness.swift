import CurlHTTP
@testable import DiscordAPI
import DiscordSandbox
import Foundation
import Logging
import RedisClient
import Synchronization
import Testing
import TestSupport

/// A private redis-server and a sandbox for one test; clients made here share both.
final class Harness: Sendable {
    /// Looks like a real bot token, so a leak would be visible.
    static let botToken = "MTAwMDAwMDAwMDAwMDAwMDAx.GsEcRt.tOkEn-Value_that-must-NEVER-be-logged"

    let redisServer: RedisServerProcess
    let sandbox: SandboxServer
    let capture = LogCapture()
    private let opened = Mutex<[(DiscordClient, RedisClient)]>([])
    private let httpClients = Mutex<[CurlHTTPClient]>([])

    var guild: Snowflake { Snowflake(sandbox.guildID) }

    private init(redisServer: RedisServerProcess, sandbox: SandboxServer) {
        self.redisServer = redisServer
        self.sandbox = sandbox
    }

    static func start(
        configure: (inout SandboxConfiguration) -> Void = { _ in },
        seed: SandboxSeed = .generated(memberCount: 10)
    ) async throws -> Harness {
        var configuration = SandboxConfiguration(botToken: botToken)
        configure(&configuration)
        let redis = try await startRedisServer()
        do {
            let sandbox = try await SandboxServer.start(configuration: configuration, seed: seed)
            return Harness(redisServer: redis, sandbox: sandbox)
        } catch {
            await redis.stop()
            throw error
        }
    }

    /// An independent client: its own Redis connection and its own HTTP client (as a separate
    /// worker process would have).
    func client(
        _ name: String = "client",
        token: String = Harness.botToken,
        readTimeout: Duration = .seconds(10),
        rateLimits: (inout RateLimitOptions) -> Void = { _ in }
    ) -> DiscordClient {
        var limits = RateLimitOptions()
        rateLimits(&limits)
        let options = DiscordClientOptions(
            botToken: Secret(token), apiBaseURL: sandbox.baseURL, oauthTokenURL: sandbox.oauthTokenURL,
            connectTimeout: .seconds(2), readTimeout: readTimeout, auditLogReason: "discord-worker test", rateLimits: limits)
        let redis = RedisClient(url: redisServer.url(db: 1), name: name)
        let client = DiscordClient(options: options, redis: redis, logger: capture.logger("discord-api.\(name)"))
        opened.withLock { $0.append((client, redis)) }
        return client
    }

    /// A plain HTTP client (shut down by `finish`).
    func httpClient() -> CurlHTTPClient {
        let client = CurlHTTPClient()
        httpClients.withLock { $0.append(client) }
        return client
    }

    /// Stops everything and checks that no log line contained the bot token.
    func finish(sourceLocation: SourceLocation = #_sourceLocation) async {
        for client in httpClients.withLock({ $0 }) { await client.shutdown() }
        for (client, redis) in opened.withLock({ $0 }) {
            await client.shutdown()
            await redis.close()
        }
        await sandbox.shutdown()
        await redisServer.stop()
        let leaked = capture.lines.filter { $0.contains(Harness.botToken) || $0.contains("tOkEn-Value") }
        #expect(leaked.isEmpty, "log lines with the bot token: \(leaked.prefix(3))", sourceLocation: sourceLocation)
    }

    /// Runs `body` with a fresh harness, always cleaning up.
    static func with(
        configure: (inout SandboxConfiguration) -> Void = { _ in },
        seed: SandboxSeed = .generated(memberCount: 10),
        _ body: (Harness) async throws -> Void
    ) async throws {
        let harness = try await start(configure: configure, seed: seed)
        try await withCleanup({ await harness.finish() }) { try await body(harness) }
    }
}

