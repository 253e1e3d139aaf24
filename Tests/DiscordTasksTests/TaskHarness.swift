import CeleryProtocol
import Broker
import DiscordAPI
import DiscordSandbox
@testable import DiscordTasks
import Foundation
import HostDatabase
import HostDatabaseSQLite
import Logging
import PythonCompat
import RedisClient
import Synchronization
import Testing
import TestSupport
import WorkerRuntime

/// A private redis-server (db 0 broker, db 1 cache), the sandbox over HTTP, an AA database built
/// from the real schema, and the real handlers in a registry.
final class TaskHarness: Sendable {
    static let botToken = "MTAwMDAwMDAwMDAwMDAwMDAx.GsEcRt.tOkEn-Value_that-must-NEVER-be-logged"
    static let guildID: UInt64 = 800_000_000_000_000_001

    let redisServer: RedisServerProcess
    let sandbox: SandboxServer
    let db: AADatabaseBuilder
    let directory: URL
    let sync: DiscordSync
    let registry: TaskRegistry
    let cache: RedisClient
    let broker: RedisClient
    let limiterRedis: RedisClient
    let host: SQLiteHostDatabase
    let logs = LogCapture()

    private init(redisServer: RedisServerProcess, sandbox: SandboxServer, db: AADatabaseBuilder, directory: URL,
                 sync: DiscordSync, registry: TaskRegistry, cache: RedisClient, broker: RedisClient, limiterRedis: RedisClient,
                 host: SQLiteHostDatabase) {
        self.redisServer = redisServer
        self.sandbox = sandbox
        self.db = db
        self.directory = directory
        self.sync = sync
        self.registry = registry
        self.cache = cache
        self.broker = broker
        self.limiterRedis = limiterRedis
        self.host = host
    }

    var logger: Logger { logs.logger("tasks-test", level: .debug) }

    static func start(
        seed: SandboxSeed,
        configure: (inout SandboxConfiguration) -> Void = { $0.profile = .unlimited },
        options configureOptions: (inout DiscordSyncOptions) -> Void = { _ in },
        database: (AADatabaseBuilder) throws -> Void
    ) async throws -> TaskHarness {
        var configuration = SandboxConfiguration(botToken: botToken, guildID: guildID)
        configuration.profile = .unlimited
        configure(&configuration)
        let redis: RedisServerProcess
        do { redis = try await RedisServerProcess.start() } catch { redis = try await RedisServerProcess.start() }
        let sandbox: SandboxServer
        do {
            sandbox = try await SandboxServer.start(configuration: configuration, seed: seed)
        } catch {
            await redis.stop()
            throw error
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tasks-\(UUID().uuidString)")
        let builder: AADatabaseBuilder
        let host: SQLiteHostDatabase
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            builder = try AADatabaseBuilder(path: directory.appendingPathComponent("aa.sqlite3").path)
            try database(builder)
            host = try SQLiteHostDatabase(path: builder.path)
        } catch {
            await sandbox.shutdown()
            await redis.stop()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        let limiterRedis = RedisClient(url: redis.url(db: 1), name: "limiter")
        let cache = RedisClient(url: redis.url(db: 1), name: "cache")
        let broker = RedisClient(url: redis.url(db: 0), name: "broker")
        var clientOptions = DiscordClientOptions(botToken: DiscordAPI.Secret(botToken), apiBaseURL: sandbox.baseURL,
                                                 oauthTokenURL: sandbox.oauthTokenURL)
        clientOptions.rateLimits.maxWait = .seconds(5)
        if configuration.profile == .unlimited {
            // No rate-limit headers come back: replace the client's conservative per-route seeds.
            for route in ["GET /guilds/:id/members/:id", "PATCH /guilds/:id/members/:id", "PUT /guilds/:id/members/:id/roles/:id",
                          "DELETE /guilds/:id/members/:id/roles/:id", "GET /guilds/:id/members", "DELETE /guilds/:id/members/:id",
                          "PUT /guilds/:id/members/:id"] {
                clientOptions.rateLimits.routeSeeds[route] = RateLimitWindow(limit: 100_000, window: .seconds(1))
            }
        }
        var options = DiscordSyncOptions(guildID: guildID, appID: configuration.oauth.clientID,
                                         appSecret: configuration.oauth.clientSecret, callbackURL: configuration.oauth.redirectURI)
        configureOptions(&options)
        let client = DiscordClient(options: clientOptions, redis: limiterRedis)
        let registry = TaskRegistry()
        let placeholderLogger = Logger(label: "tasks-test")
        let sync = DiscordSync(client: client, database: host, cache: cache, broker: broker, options: options, logger: placeholderLogger)
        AATaskCatalog.register(sync, into: registry)
        return TaskHarness(redisServer: redis, sandbox: sandbox, db: builder, directory: directory, sync: sync,
                           registry: registry, cache: cache, broker: broker, limiterRedis: limiterRedis, host: host)
    }

    func stop() async {
        await sync.client.shutdown()
        await broker.close()
        await cache.close()
        await limiterRedis.close()
        await host.close()
        await sandbox.shutdown()
        await redisServer.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a started harness and stops it afterwards, also when `body` throws.
    static func with(
        seed: SandboxSeed,
        configure: (inout SandboxConfiguration) -> Void = { $0.profile = .unlimited },
        options configureOptions: (inout DiscordSyncOptions) -> Void = { _ in },
        database: (AADatabaseBuilder) throws -> Void,
        _ body: (TaskHarness) async throws -> Void
    ) async throws {
        let harness = try await start(seed: seed, configure: configure, options: configureOptions, database: database)
        try await withCleanup({ await harness.stop() }) { try await body(harness) }
    }

    /// Runs a task's handler with arguments bound as the worker binds a message's `[args, kwargs]`.
    func run(_ task: String, _ args: [JSONValue] = [], _ kwargs: JSONObject = [:], retries: Int = 0) async throws -> TaskOutcome {
        let definition = try #require(registry.definition(task))
        let arguments = try bindArguments(parameters: definition.parameters, args: args, kwargs: kwargs)
        var logger = self.logger
        logger[metadataKey: "task"] = "\(task)"
        let invocation = TaskInvocation(id: UUID().uuidString.lowercased(), name: task, arguments: arguments, retries: retries,
                                        logger: logger, progress: BulkProgressReporter(redis: broker))
        return try await definition.handler(invocation)
    }

    /// Every message in the broker's `services` lists (all priorities).
    func queued() async throws -> [TaskMessage] {
        var result: [TaskMessage] = []
        for priority in 0...9 {
            let key = KombuKeys.listKey(queue: "services", priority: priority)
            let items = try await broker.command(["LRANGE", RedisArgument(key), 0, -1]).array ?? []
            for item in items.reversed() {
                if let bytes = item.bytes { result.append(try TaskMessage.decode(bytes, poppedFrom: key)) }
            }
        }
        return result
    }

    func clearQueue() async throws {
        for priority in 0...9 {
            _ = try await broker.command(["DEL", RedisArgument(KombuKeys.listKey(queue: "services", priority: priority))])
        }
    }

    /// Runs every queued message once (the worker's job, reduced to what these tests need).
    func drainQueue() async throws -> [(String, TaskOutcome)] {
        var outcomes: [(String, TaskOutcome)] = []
        for _ in 0..<100 {
            let messages = try await queued()
            if messages.isEmpty { break }
            try await clearQueue()
            for message in messages {
                outcomes.append((message.task, try await run(message.task, message.args, message.kwargs)))
            }
        }
        return outcomes
    }

    func member(_ uid: UInt64) -> SandboxMember? { sandbox.state.member(uid) }
    func roleID(_ name: String) -> UInt64? { sandbox.state.role(named: name)?.id }
    func memberRoleNames(_ uid: UInt64) -> Set<String> {
        Set(member(uid)?.roles.compactMap { sandbox.state.role($0)?.name } ?? [])
    }
    func stats() async -> SandboxStats { await sandbox.stats() }
}

extension SandboxRoute {
    static let allAPI: [SandboxRoute] = [.getGuild, .getRoles, .createRole, .listMembers, .getMember, .addMember, .modifyMember,
                                         .kickMember, .addMemberRole, .removeMemberRole, .getCurrentUser, .oauthToken]
}

/// A small guild: roles Member/Alliance/Corporation (positions 1–3), managed "Server Booster" (4),
/// the bot role (5), "Admin" (6, above the bot); owner 300…000; members 300…001–300…00n.
func smallSeed(members: Int = 5, roleNames: [String] = ["Member", "Alliance", "Corporation"],
               assign: (@Sendable (Int) -> [Int])? = nil) -> SandboxSeed {
    SandboxSeed.generated(memberCount: members, roleNames: roleNames, roleAssignment: assign)
}

func uid(_ index: Int) -> UInt64 { SandboxSeed.firstUserID + UInt64(index) }
func roleIDs(_ seed: SandboxSeed, _ names: String...) -> [UInt64] { names.compactMap { seed.roleID(named: $0) } }

/// A main character with a unique character id.
func mainCharacter(_ n: Int) -> EveCharacter {
    EveCharacter(characterID: 90_000_000 + Int64(n), characterName: "Rixx Javix", corporationID: 98_000_001,
                 corporationName: "Test Corp", corporationTicker: "TEST", allianceID: 99_000_001,
                 allianceName: "Test Alliance", allianceTicker: "TALL")
}

let sampleMain = EveCharacter(characterID: 90_000_001, characterName: "Rixx Javix", corporationID: 98_000_001,
                              corporationName: "Test Corp", corporationTicker: "TEST", allianceID: 99_000_001,
                              allianceName: "Test Alliance", allianceTicker: "TALL")
