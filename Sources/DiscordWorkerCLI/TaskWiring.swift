import Broker
import DiscordAPI
import DiscordTasks
import Foundation
import HostDatabase
import Logging
import RedisClient
import WorkerRuntime

/// Connects the task registry with the Discord task handlers.
enum TaskWiring {
    /// Builds the shared `DiscordSync` (Discord client, AA's database, cache and broker Redis) and
    /// registers every `discord.*` handler. Fails at start with one line when DISCORD_GUILD_ID or
    /// DISCORD_BOT_TOKEN is missing or DATABASE_URL cannot be opened (never printing a secret).
    /// `lockHolder`: the worker id and lease the handlers' locks are bound to (see `RedisLocks`).
    /// Everything opened here is adopted by `resources` (closed when the worker stops).
    /// Returns AA's database (for the readiness probe).
    @discardableResult
    static func register(into registry: TaskRegistry, configuration: Configuration, lockHolder: (id: String, lease: Duration)? = nil,
                         resources: OwnedResources, logger: Logger) async throws -> any HostDatabase {
        let (guildID, token) = try configuration.requireDiscord()
        let databaseURL: DatabaseURL
        do {
            databaseURL = try DatabaseURL(parsing: configuration.databaseURL)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "is not usable: \(error)")
        }
        let database: any HostDatabase
        do {
            database = try await HostDatabaseFactory.open(
                databaseURL, poolSize: configuration.databasePoolSize, logger: logger)
        } catch {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "cannot be opened: \(error)")
        }
        resources.adopt(database)
        var clientOptions = DiscordClientOptions(
            botToken: DiscordAPI.Secret(token.value), apiBaseURL: configuration.apiBaseURL,
            oauthTokenURL: configuration.oauthTokenURL,
            connectTimeout: .milliseconds(Int(configuration.connectTimeoutSeconds * 1000)),
            readTimeout: .milliseconds(Int(configuration.readTimeoutSeconds * 1000)))
        clientOptions.auditLogReason = "Alliance Auth sync (discord-worker)"
        clientOptions.rateLimits.interactiveShare = Double(configuration.interactiveSharePercent) / 100
        // The limiter gets its own connection: it is on every request's path.
        let limiterRedis = RedisClient(url: configuration.cacheURL, name: "discord-ratelimit")
        resources.adopt(limiterRedis)
        let client = DiscordClient(options: clientOptions, redis: limiterRedis, logger: logger)
        resources.adopt(client)
        let cache = RedisClient(url: configuration.cacheURL, name: "aa-cache")
        resources.adopt(cache)
        let broker = RedisClient(url: configuration.brokerURL, name: "task-publisher")
        resources.adopt(broker)
        let options = DiscordSyncOptions(
            guildID: guildID, syncNames: configuration.syncNames,
            rolesCacheMaxAgeMilliseconds: configuration.rolesCacheMaxAgeMilliseconds,
            guildNameCacheMaxAgeSeconds: configuration.guildNameCacheMaxAgeSeconds,
            disableRoleCreation: configuration.disableRoleCreation, appID: configuration.appID,
            appSecret: configuration.appSecret?.value, callbackURL: configuration.callbackURL,
            queue: configuration.queues.first ?? "services",
            origin: "discord-worker-\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)")
        let locks = lockHolder.map { RedisLocks(redis: broker, holder: $0.id, lease: $0.lease) }
        let sync = DiscordSync(client: client, database: database, cache: cache, broker: broker, options: options, locks: locks, logger: logger)
        AATaskCatalog.register(sync, into: registry)
        TestTasks.registerIfEnabled(into: registry, configuration: configuration, resources: resources, logger: logger)  // test-only, see TestTasks
        return database
    }
}
