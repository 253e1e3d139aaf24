// What the sandbox saw. Admin endpoints (`/_sandbox/…`) are not counted.

public struct SandboxStats: Sendable, Hashable, Codable {
    public struct RateLimited: Sendable, Hashable, Codable {
        /// All 429s.
        public var total: Int = 0
        /// 429s from the global limit.
        public var global: Int = 0
        /// 429s from per-route limits (scope `user`).
        public var user: Int = 0
        /// 429s with scope `shared` (not invalid requests).
        public var shared: Int = 0
        /// 429s of the invalid-request ban (no rate-limit headers).
        public var banned: Int = 0
        /// 429s per route template.
        public var perRoute: [String: Int] = [:]

        public init() {}
    }

    /// Every API request (including unknown paths and the OAuth2 token endpoint).
    public var totalRequests: Int = 0
    /// Requests per route template, e.g. `"PATCH /guilds/{g}/members/{u}"`; unknown paths under `"OTHER"`.
    public var requestsPerRoute: [String: Int] = [:]
    /// Responses per HTTP status (as a string key, e.g. `"200"`); hung requests count when answered.
    public var statusCounts: [String: Int] = [:]
    public var rateLimited = RateLimited()
    /// 401 + 403 + 429, excluding shared-scope 429s (Discord's invalid-request count).
    public var invalidRequests: Int = 0
    /// Most API requests in flight at once (latency and hangs included).
    public var peakConcurrency: Int = 0
    /// API requests in flight now.
    public var inFlight: Int = 0
    /// Requests held by a hang fault so far.
    public var hungRequests: Int = 0
    /// Server errors injected so far.
    public var injectedServerErrors: Int = 0
    /// Unix time (seconds) when the invalid-request ban last started, nil if never.
    public var bannedAt: Double?
    /// Unix time (seconds) of the first 429 since the last reset, nil if none.
    public var first429At: Double?
    /// Route template of that first 429.
    public var first429Route: String?

    public init() {}

    public func requests(_ route: SandboxRoute) -> Int { requestsPerRoute[route.rawValue] ?? 0 }
    public func status(_ code: Int) -> Int { statusCounts[String(code)] ?? 0 }
    public func rateLimited(_ route: SandboxRoute) -> Int { rateLimited.perRoute[route.rawValue] ?? 0 }

}

/// One API request as the sandbox saw it (the request log).
public struct SandboxRequestRecord: Sendable, Hashable, Codable {
    /// nil for unknown paths.
    public var route: SandboxRoute?
    public var method: String
    public var path: String
    public var status: Int
    /// Arrival, in seconds since the sandbox started (monotonic).
    public var seconds: Double
    public var userAgent: String?

    public init(route: SandboxRoute?, method: String, path: String, status: Int, seconds: Double, userAgent: String?) {
        self.route = route
        self.method = method
        self.path = path
        self.status = status
        self.seconds = seconds
        self.userAgent = userAgent
    }
}
