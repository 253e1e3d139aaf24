// Configuration of a sandbox instance: where it listens, the bot's credentials, the rate-limit
// profile, latency, the OAuth2 application and the initial faults.

public import Logging

/// A rate limit: at most `limit` admitted requests per `window`, either in any sliding window (the
/// default; how most Discord routes behave since 2022) or per fixed window starting at the first
/// admitted request (as `PUT …/roles/{r}` was observed to behave in 2025: discord-api-docs issue #7680,
/// `limit: 10`, fixed window).
public struct RateLimitRule: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Each admitted request holds its slot for `window` after its arrival.
        case sliding
        /// A window opens at the first admitted request; all slots free when it ends.
        case fixed
    }

    public var limit: Int
    public var window: Duration
    public var kind: Kind

    public init(limit: Int, window: Duration, kind: Kind = .sliding) {
        self.limit = max(1, limit)
        self.window = window
        self.kind = kind
    }

    /// The window in seconds.
    public var windowSeconds: Double { window.seconds }

    public var description: String {
        "\(limit)/\(formatSeconds3(windowSeconds))s" + (kind == .fixed ? " fixed" : "")
    }

    private enum CodingKeys: String, CodingKey {
        case limit, kind
        case windowSeconds = "window_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let limit = try container.decode(Int.self, forKey: .limit)
        let seconds = try container.decode(Double.self, forKey: .windowSeconds)
        let kind = try container.decodeIfPresent(Kind.self, forKey: .kind) ?? .sliding
        self.init(limit: limit, window: .fractionalSeconds(seconds), kind: kind)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(limit, forKey: .limit)
        try container.encode(windowSeconds, forKey: .windowSeconds)
        try container.encode(kind, forKey: .kind)
    }
}

/// Discord's per-route rate-limit buckets that the sandbox models: observed limits, none documented by
/// Discord (the limits are on each case; `DiscordRoute.seeds` in DiscordAPI starts from the same numbers).
/// Every bucket is kept per guild (the "major parameter").
public enum SandboxBucket: String, Sendable, Hashable, Codable, CaseIterable {
    /// `GET /guilds/{g}/members/{u}`: 5 / 1 s.
    case getMember = "get_member"
    /// `PATCH /guilds/{g}/members/{u}`: 10 / 10 s, its own bucket.
    case modifyMember = "modify_member"
    /// `PUT` and `DELETE /guilds/{g}/members/{u}/roles/{r}`: one shared bucket, 10 / 10 s.
    case memberRole = "member_role"
    /// `GET /guilds/{g}/members`: 10 / 10 s.
    case listMembers = "list_members"
    /// `DELETE /guilds/{g}/members/{u}` (kick): 5 / 1 s.
    case kickMember = "kick_member"
    /// `PUT /guilds/{g}/members/{u}` (add): 10 / 10 s.
    case addMember = "add_member"
    /// `POST /guilds/{g}/roles`: 250 per 48 h (the role-creation budget).
    case createRole = "create_role"

    /// The Discord-like default for this bucket.
    public var discordDefault: RateLimitRule {
        switch self {
        case .getMember: RateLimitRule(limit: 5, window: .seconds(1))
        case .modifyMember: RateLimitRule(limit: 10, window: .seconds(10))
        case .memberRole: RateLimitRule(limit: 10, window: .seconds(10))
        case .listMembers: RateLimitRule(limit: 10, window: .seconds(10))
        case .kickMember: RateLimitRule(limit: 5, window: .seconds(1))
        case .addMember: RateLimitRule(limit: 10, window: .seconds(10))
        case .createRole: RateLimitRule(limit: 250, window: .seconds(172_800))
        }
    }

    /// The opaque `X-RateLimit-Bucket` value: a stable 32-hex-digit hash of the bucket name
    /// (without the major parameter, as on Discord).
    public var hash: String { BucketHash.of(rawValue) }
}

/// Which limits apply.
public enum SandboxProfile: String, Sendable, Hashable, Codable {
    /// The per-route defaults of `SandboxBucket` and Discord's global 50 requests / s per bot.
    case discordLike = "discord"
    /// No limits at all (no rate-limit headers either), except explicit overrides.
    case unlimited
}

/// Artificial latency added to every API response (never to admin endpoints).
public struct SandboxLatency: Sendable, Hashable {
    public var fixed: Duration
    /// A uniformly random extra delay in `0...jitter`.
    public var jitter: Duration

    public init(fixed: Duration = .zero, jitter: Duration = .zero) {
        self.fixed = fixed
        self.jitter = jitter
    }

    public static let none = SandboxLatency()

    public static func milliseconds(_ fixed: Int, jitter: Int = 0) -> SandboxLatency {
        SandboxLatency(fixed: .milliseconds(fixed), jitter: .milliseconds(jitter))
    }
}

/// The OAuth2 application the sandbox plays the authorization server for.
public struct SandboxOAuthApplication: Sendable, Hashable {
    public var clientID: String
    public var clientSecret: String
    /// The registered redirect URI; the token exchange must send it byte for byte.
    public var redirectURI: String

    public init(
        clientID: String = "100000000000000001",
        clientSecret: String = "sandbox-client-secret",
        redirectURI: String = "http://127.0.0.1:8000/discord/callback/"
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURI = redirectURI
    }
}

/// Discord's invalid-request limit ("Cloudflare ban": 10,000 invalid requests per 10 minutes per IP, Discord's
/// rate-limit docs): `threshold` responses 401/403/429 (shared
/// 429s excluded) within `window` block the client for `duration`: every API request is then answered
/// 429 without rate-limit headers and with the "You are being blocked…" body.
public struct SandboxInvalidRequestBan: Sendable, Hashable {
    public var threshold: Int
    public var window: Duration
    public var duration: Duration

    public init(threshold: Int = 10_000, window: Duration = .seconds(600), duration: Duration = .seconds(3600)) {
        self.threshold = max(1, threshold)
        self.window = window
        self.duration = duration
    }

    /// Discord's documented threshold; the block's length is undocumented (an hour here).
    public static let discord = SandboxInvalidRequestBan()
}

public struct SandboxConfiguration: Sendable {
    /// Bind address; loopback only in this project.
    public var host: String
    /// TCP port; 0 picks an ephemeral port (read it back from `SandboxServer.port`).
    public var port: Int
    /// The bot token the API accepts (`Authorization: Bot <token>`).
    public var botToken: String
    /// The id of the one guild the sandbox hosts (also the @everyone role id).
    public var guildID: UInt64
    public var profile: SandboxProfile
    /// Per-bucket limits that replace the profile's (apply under `.unlimited` too).
    public var routeLimits: [SandboxBucket: RateLimitRule]
    /// The global limit per bot token; nil = the profile's (50 / 1 s for `.discordLike`, none for `.unlimited`).
    public var globalLimit: RateLimitRule?
    public var latency: SandboxLatency
    /// The invalid-request ban; nil = the profile's (Discord's for `.discordLike`, none for `.unlimited`).
    public var invalidRequestBan: SandboxInvalidRequestBan?
    /// Whether the application has the GUILD_MEMBERS privileged intent (List Guild Members needs it).
    public var membersIntent: Bool
    public var oauth: SandboxOAuthApplication
    /// Faults active from the start (change them later with `SandboxServer.setFaults`).
    public var faults: SandboxFaults
    /// Seed of the pseudo-random generator used for fault rates and jitter (reproducible runs).
    public var randomSeed: UInt64
    /// Largest accepted request body.
    public var maxBodyBytes: Int
    /// Keep a log of up to this many API requests (`SandboxServer.requestLog()`, GET /_sandbox/requests);
    /// 0 = no log. When full, the oldest tenth is dropped.
    public var requestLogLimit: Int
    public var logger: Logger

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        botToken: String = "sandbox-bot-token",
        guildID: UInt64 = 800_000_000_000_000_001,
        profile: SandboxProfile = .discordLike,
        routeLimits: [SandboxBucket: RateLimitRule] = [:],
        globalLimit: RateLimitRule? = nil,
        latency: SandboxLatency = .none,
        invalidRequestBan: SandboxInvalidRequestBan? = nil,
        membersIntent: Bool = true,
        oauth: SandboxOAuthApplication = SandboxOAuthApplication(),
        faults: SandboxFaults = SandboxFaults(),
        randomSeed: UInt64 = 0x5EED,
        maxBodyBytes: Int = 1 << 20,
        requestLogLimit: Int = 0,
        logger: Logger? = nil
    ) {
        self.host = host
        self.port = port
        self.botToken = botToken
        self.guildID = guildID
        self.profile = profile
        self.routeLimits = routeLimits
        self.globalLimit = globalLimit
        self.latency = latency
        self.invalidRequestBan = invalidRequestBan
        self.membersIntent = membersIntent
        self.oauth = oauth
        self.faults = faults
        self.randomSeed = randomSeed
        self.maxBodyBytes = maxBodyBytes
        self.requestLogLimit = requestLogLimit
        if let logger {
            self.logger = logger
        } else {
            var quiet = Logger(label: "discord-sandbox")
            quiet.logLevel = .warning
            self.logger = quiet
        }
    }

    /// The limit in force for `bucket`, nil when the route is limited only globally.
    public func limit(for bucket: SandboxBucket) -> RateLimitRule? {
        if let override = routeLimits[bucket] { return override }
        return profile == .discordLike ? bucket.discordDefault : nil
    }

    /// The invalid-request ban in force, nil when there is none.
    public var effectiveInvalidRequestBan: SandboxInvalidRequestBan? {
        invalidRequestBan ?? (profile == .discordLike ? .discord : nil)
    }

    /// The global limit in force, nil when there is none.
    public var effectiveGlobalLimit: RateLimitRule? {
        if let globalLimit { return globalLimit }
        return profile == .discordLike ? RateLimitRule(limit: 50, window: .seconds(1)) : nil
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    static func fractionalSeconds(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((max(0, seconds) * 1e9).rounded()))
    }
}

/// FNV-1a based 128-bit hex digest: stable across runs and platforms, opaque enough for a bucket id.
enum BucketHash {
    static func of(_ text: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return hash
        }
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex(fnv(0x6469_7363_6f72_6421)) + hex(fnv(0x7361_6e64_626f_7821))
    }
}
