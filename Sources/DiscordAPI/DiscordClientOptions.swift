/// Settings of a `DiscordClient`. Built from the environment by the executable.
public struct DiscordClientOptions: Sendable {
    /// API base with the version, ending in `/` (the sandbox in tests).
    public var apiBaseURL: String
    public var oauthTokenURL: String
    public var botToken: Secret
    public var userAgent: String
    public var connectTimeout: Duration
    /// Upper bound for one whole request after connecting (AA's read timeout).
    public var readTimeout: Duration
    /// Sent URL-encoded as `X-Audit-Log-Reason` on the routes that support it.
    public var auditLogReason: String?
    public var rateLimits: RateLimitOptions

    public init(
        botToken: Secret,
        apiBaseURL: String = "https://discord.com/api/v10/",
        oauthTokenURL: String = "https://discord.com/api/oauth2/token",
        userAgent: String = "DiscordBot (https://github.com/discord-worker/discord-worker, 0.1)",
        connectTimeout: Duration = .seconds(5),
        readTimeout: Duration = .seconds(30),
        auditLogReason: String? = nil,
        rateLimits: RateLimitOptions = RateLimitOptions()
    ) {
        self.botToken = botToken
        self.apiBaseURL = apiBaseURL.hasSuffix("/") ? apiBaseURL : apiBaseURL + "/"
        self.oauthTokenURL = oauthTokenURL
        self.userAgent = userAgent
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.auditLogReason = auditLogReason
        self.rateLimits = rateLimits
    }
}

/// Settings of the Redis-shared rate limiter.
public struct RateLimitOptions: Sendable {
    /// Prefix of every Redis key the limiter writes.
    public var keyPrefix: String
    /// Proactive limit on all bot requests (Discord: 50 per second per bot).
    public var globalLimit: RateLimitWindow
    /// Conservative limits used for a route until its real bucket is learned from the headers,
    /// keyed by route name (`"PATCH /guilds/:id/members/:id"`). Missing routes use `DiscordRoute`'s seeds.
    public var routeSeeds: [String: RateLimitWindow]
    /// Invalid requests (401, 403, non-shared 429) allowed per `invalidRequestWindow` across all
    /// processes before every call fails fast (Discord bans an IP at 10,000 per 10 minutes).
    public var invalidRequestCap: Int
    public var invalidRequestWindow: Duration
    /// A call that would have to wait longer than this for a rate limit fails with `.rateLimited`
    /// (carrying `retryAfter`) instead of sleeping.
    public var maxWait: Duration
    /// 429 answers retried within one call before it fails with `.rateLimited`.
    public var max429Retries: Int
    /// How long a learned route → bucket mapping and bucket limits stay in Redis.
    public var learnedTTL: Duration
    /// How long the shared "bot token rejected" latch lasts after a 401 (a new token is not affected).
    public var unauthorizedLatchTTL: Duration
    /// Priority lane: the share (0...1) of a bucket's slots per window that waiting interactive requests
    /// may take ahead of waiting bulk requests (`RequestPriority`); 0 turns the lane off.
    public var interactiveShare: Double
    /// How long a waiting interactive request's claim outlives its next expected attempt (a claim of a
    /// process that died lapses after this).
    public var interactiveTicket: Duration
    /// How long a bulk request that yielded a free slot to a waiting interactive one waits before asking again.
    public var bulkYield: Duration
    /// How long after an interactive request (in any bucket) bulk requests stay spread out (pacing and the
    /// last-slot rule of `RateLimitScripts.acquire`); at least two windows of the bucket.
    public var interactiveDemandMemory: Duration

    public init(
        keyPrefix: String = "discord-worker:ratelimit:",
        globalLimit: RateLimitWindow = RateLimitWindow(limit: 50, window: .seconds(1)),
        routeSeeds: [String: RateLimitWindow] = [:],
        invalidRequestCap: Int = 1_000,
        invalidRequestWindow: Duration = .seconds(600),
        maxWait: Duration = .seconds(60),
        max429Retries: Int = 8,
        learnedTTL: Duration = .seconds(86_400),
        unauthorizedLatchTTL: Duration = .seconds(86_400),
        interactiveShare: Double = 0.8,
        interactiveTicket: Duration = .seconds(2),
        bulkYield: Duration = .milliseconds(50),
        interactiveDemandMemory: Duration = .seconds(300)
    ) {
        self.keyPrefix = keyPrefix
        self.globalLimit = globalLimit
        self.routeSeeds = routeSeeds
        self.invalidRequestCap = invalidRequestCap
        self.invalidRequestWindow = invalidRequestWindow
        self.maxWait = maxWait
        self.max429Retries = max429Retries
        self.learnedTTL = learnedTTL
        self.unauthorizedLatchTTL = unauthorizedLatchTTL
        self.interactiveShare = interactiveShare
        self.interactiveTicket = interactiveTicket
        self.bulkYield = bulkYield
        self.interactiveDemandMemory = interactiveDemandMemory
    }
}

/// At most `limit` requests in any `window`.
public struct RateLimitWindow: Sendable, Hashable, CustomStringConvertible {
    public var limit: Int
    public var window: Duration

    public init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    public var description: String { "\(limit)/\(window)" }
}
