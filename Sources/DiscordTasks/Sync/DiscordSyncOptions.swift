/// Settings of the `discord.*` task handlers (README "Configuration"), built from the configuration.
public struct DiscordSyncOptions: Sendable {
    /// `DISCORD_GUILD_ID`.
    public var guildID: UInt64
    /// `DISCORD_SYNC_NAMES`: nicknames in `update_all` and `add_user`.
    public var syncNames: Bool
    /// `DISCORD_ROLES_CACHE_MAX_AGE` in milliseconds (Redis `PX`).
    public var rolesCacheMaxAgeMilliseconds: Int
    /// `DISCORD_GUILD_NAME_CACHE_MAX_AGE` in seconds.
    public var guildNameCacheMaxAgeSeconds: Int
    /// `DISCORD_DISABLE_ROLE_CREATION`.
    public var disableRoleCreation: Bool
    /// OAuth2 for `add_user`: `DISCORD_APP_ID`, `DISCORD_APP_SECRET`, `DISCORD_CALLBACK_URL`.
    public var appID: String?
    public var appSecret: String?
    public var callbackURL: String?
    /// Celery queue for the tasks this worker enqueues itself (delete path, bulk retries).
    public var queue: String
    /// `origin` header of those messages.
    public var origin: String
    /// Lifetime of the post-sync member state a bulk leaves for single tasks.
    public var memberCacheSeconds: Int
    /// Requests in flight per Discord bucket during a bulk sync (the shared limiter paces them). Each one
    /// holds its member's per-user lock while it waits for a slot (a single task for that member waits too).
    public var bulkConcurrencyPerBucket: Int
    /// Prefix of the worker's own Redis keys (must equal the broker's `BrokerKeys.prefix`).
    public var keyPrefix: String

    public init(
        guildID: UInt64, syncNames: Bool = false, rolesCacheMaxAgeMilliseconds: Int = 7_200_000,
        guildNameCacheMaxAgeSeconds: Int = 86_400, disableRoleCreation: Bool = false, appID: String? = nil,
        appSecret: String? = nil, callbackURL: String? = nil, queue: String = "services",
        origin: String = "discord-worker", memberCacheSeconds: Int = 60, bulkConcurrencyPerBucket: Int = 6,
        keyPrefix: String = "discord-worker:"
    ) {
        self.guildID = guildID
        self.syncNames = syncNames
        self.rolesCacheMaxAgeMilliseconds = rolesCacheMaxAgeMilliseconds
        self.guildNameCacheMaxAgeSeconds = guildNameCacheMaxAgeSeconds
        self.disableRoleCreation = disableRoleCreation
        self.appID = appID
        self.appSecret = appSecret
        self.callbackURL = callbackURL
        self.queue = queue
        self.origin = origin
        self.memberCacheSeconds = memberCacheSeconds
        self.bulkConcurrencyPerBucket = bulkConcurrencyPerBucket
        self.keyPrefix = keyPrefix
    }

    /// AA's roles cache key: `DISCORD_GUILD_ROLES__<md5 hex of str(guild_id)>`.
    public var rolesCacheKey: String { "DISCORD_GUILD_ROLES__" + MD5.hex(String(guildID)) }
    /// AA's guild name cache key.
    public var guildNameCacheKey: String { "DISCORD_GUILD_NAME__" + MD5.hex(String(guildID)) }
    /// The post-sync member state key.
    public func memberCacheKey(uid: UInt64) -> String { keyPrefix + "member:\(guildID):\(uid)" }
    /// A single task's recent change of a member, for running bulk syncs.
    public func changedMarkKey(uid: UInt64) -> String { keyPrefix + "changed:\(guildID):\(uid)" }
    /// The role-creation lock's name for one role name (`RedisLocks.named`).
    public func createRoleLockName(name: String) -> String { "create-role:" + MD5.hex("\(guildID):\(name)") }
    /// AA's unread notification count cache key (django-redis, version 1, no prefix).
    public static func notificationCountKey(_ pk: Int64) -> String { ":1:USER_NOTIFICATION_COUNT_" + String(pk) }
}
