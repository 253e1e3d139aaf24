// Fault injection: server errors, hanging requests, forced 429s, the members intent, a revoked token.
// Settable at start (`SandboxConfiguration.faults`), from Swift (`SandboxServer.setFaults`) and over HTTP
// (`POST /_sandbox/faults` with the JSON form documented on each field).

/// Requests that never answer: held until `maxDuration` (then 504) or the sandbox shuts down. A client
/// that gives up and closes its connection does not end the hold (the server sees only a half-close),
/// so such a request stays counted in `SandboxStats.inFlight` until its bound.
public struct SandboxHangFault: Sendable, Hashable, Codable {
    /// Routes affected; empty = every API route.
    public var routes: [SandboxRoute]
    /// How many matching requests hang; nil = all of them.
    public var count: Int?
    /// Upper bound of a hang, after which the request is answered 504.
    public var maxDuration: Duration

    public init(routes: [SandboxRoute] = [], count: Int? = nil, maxDuration: Duration = .seconds(120)) {
        self.routes = routes
        self.count = count
        self.maxDuration = maxDuration
    }

    private enum CodingKeys: String, CodingKey {
        case routes, count
        case maxSeconds = "max_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        routes = try container.decodeIfPresent([SandboxRoute].self, forKey: .routes) ?? []
        count = try container.decodeIfPresent(Int.self, forKey: .count)
        let seconds = try container.decodeIfPresent(Double.self, forKey: .maxSeconds) ?? 120
        maxDuration = .fractionalSeconds(seconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(routes, forKey: .routes)
        try container.encodeIfPresent(count, forKey: .count)
        try container.encode(maxDuration.seconds, forKey: .maxSeconds)
    }
}

/// Forced 429s: the next `count` matching requests are answered 429 with `retryAfter`, and the bucket
/// they hit (the route's bucket in that guild, the route itself when it has none, or the global limit
/// for `scope: .global`) then refuses everything until `retryAfter` after the last forced 429.
public struct SandboxForcedRateLimit: Sendable, Hashable, Codable {
    public enum Scope: String, Sendable, Hashable, Codable {
        /// The bot's per-route limit (`X-RateLimit-Scope: user`).
        case user
        /// The bot's global limit (`X-RateLimit-Global: true`, `"global": true`).
        case global
        /// A per-resource limit shared with other bots (does not count as an invalid request).
        case shared
    }

    /// The route affected; nil = every API route.
    public var route: SandboxRoute?
    public var count: Int
    public var retryAfter: Duration
    public var scope: Scope

    public init(route: SandboxRoute? = nil, count: Int = 1, retryAfter: Duration = .seconds(1), scope: Scope = .user) {
        self.route = route
        self.count = count
        self.retryAfter = retryAfter
        self.scope = scope
    }

    private enum CodingKeys: String, CodingKey {
        case route, count, scope
        case retryAfter = "retry_after"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        route = try container.decodeIfPresent(SandboxRoute.self, forKey: .route)
        count = try container.decodeIfPresent(Int.self, forKey: .count) ?? 1
        retryAfter = .fractionalSeconds(try container.decodeIfPresent(Double.self, forKey: .retryAfter) ?? 1)
        scope = try container.decodeIfPresent(Scope.self, forKey: .scope) ?? .user
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(route, forKey: .route)
        try container.encode(count, forKey: .count)
        try container.encode(retryAfter.seconds, forKey: .retryAfter)
        try container.encode(scope, forKey: .scope)
    }
}

public struct SandboxFaults: Sendable, Hashable, Codable {
    /// Fraction (0...1) of API requests answered with a 5xx before anything else happens.
    public var serverErrorRate: Double
    /// The statuses drawn from for those errors.
    public var serverErrorStatuses: [Int]
    /// Answer server errors with a Cloudflare-style HTML page (`text/html`) instead of JSON.
    public var serverErrorHTML: Bool
    public var hang: SandboxHangFault?
    public var forcedRateLimits: [SandboxForcedRateLimit]
    /// Overrides `SandboxConfiguration.membersIntent` when set.
    public var membersIntent: Bool?
    /// The bot token is revoked: every bot-authenticated call answers 401.
    public var tokenRevoked: Bool
    /// Blocked as after too many invalid requests: every API request answers the ban 429.
    public var banned: Bool

    public init(
        serverErrorRate: Double = 0,
        serverErrorStatuses: [Int] = [500, 502],
        serverErrorHTML: Bool = false,
        hang: SandboxHangFault? = nil,
        forcedRateLimits: [SandboxForcedRateLimit] = [],
        membersIntent: Bool? = nil,
        tokenRevoked: Bool = false,
        banned: Bool = false
    ) {
        self.serverErrorRate = serverErrorRate
        self.serverErrorStatuses = serverErrorStatuses
        self.serverErrorHTML = serverErrorHTML
        self.hang = hang
        self.forcedRateLimits = forcedRateLimits
        self.membersIntent = membersIntent
        self.tokenRevoked = tokenRevoked
        self.banned = banned
    }

    private enum CodingKeys: String, CodingKey {
        case serverErrorRate = "server_error_rate"
        case serverErrorStatuses = "server_error_statuses"
        case serverErrorHTML = "server_error_html"
        case hang
        case forcedRateLimits = "forced_rate_limits"
        case membersIntent = "members_intent"
        case tokenRevoked = "token_revoked"
        case banned
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        serverErrorRate = try container.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? 0
        serverErrorStatuses = try container.decodeIfPresent([Int].self, forKey: .serverErrorStatuses) ?? [500, 502]
        serverErrorHTML = try container.decodeIfPresent(Bool.self, forKey: .serverErrorHTML) ?? false
        hang = try container.decodeIfPresent(SandboxHangFault.self, forKey: .hang)
        forcedRateLimits = try container.decodeIfPresent([SandboxForcedRateLimit].self, forKey: .forcedRateLimits) ?? []
        membersIntent = try container.decodeIfPresent(Bool.self, forKey: .membersIntent)
        tokenRevoked = try container.decodeIfPresent(Bool.self, forKey: .tokenRevoked) ?? false
        banned = try container.decodeIfPresent(Bool.self, forKey: .banned) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(serverErrorRate, forKey: .serverErrorRate)
        try container.encode(serverErrorStatuses, forKey: .serverErrorStatuses)
        try container.encode(serverErrorHTML, forKey: .serverErrorHTML)
        try container.encodeIfPresent(hang, forKey: .hang)
        try container.encode(forcedRateLimits, forKey: .forcedRateLimits)
        try container.encodeIfPresent(membersIntent, forKey: .membersIntent)
        try container.encode(tokenRevoked, forKey: .tokenRevoked)
        try container.encode(banned, forKey: .banned)
    }
}
