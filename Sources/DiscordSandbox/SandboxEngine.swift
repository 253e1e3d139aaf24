// The sandbox's request handling, independent of the HTTP server: one Mutex-protected state, a
// synchronous `handle` that decides everything at arrival (faults, auth, limits, the operation) and
// returns a reply plus how long to hold it (latency, hang). The HTTP glue sleeps, never this code.
//
// Order of checks for an API request:
//   0. the invalid-request ban (every request 429)
//   1. route match (404 / 405 in Discord's shape)      5. forced 429s, then forced blocks
//   2. hang fault                                        6. global window, then the route's bucket window
//   3. server-error fault (5xx)                          7. the operation (400 / 403 / 404 / 2xx)
//   4. authentication (401)
// Steps 2-4 and rejected requests in 5-6 consume no rate-limit slot; every request from step 7 on does.

import Foundation
import Synchronization

struct SandboxRequest: Sendable {
    var method: String
    var path: String
    var query: String?
    var authorization: String?
    var contentType: String?
    var userAgent: String?
    var body: [UInt8]

    init(
        method: String, path: String, query: String? = nil, authorization: String? = nil,
        contentType: String? = nil, userAgent: String? = nil, body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.authorization = authorization
        self.contentType = contentType
        self.userAgent = userAgent
        self.body = body
    }
}

struct SandboxReply: Sendable {
    enum Hold: Sendable, Equatable {
        case none
        /// Artificial latency before answering.
        case delay(Duration)
        /// A hang fault: answer only after this long (the client usually gives up first).
        case hang(Duration)
    }

    var status: Int
    var headers: [(String, String)] = []
    var json: JSONNode?
    /// A non-JSON body (the HTML error page).
    var rawBody: [UInt8]?
    var contentType: String? = "application/json"
    var hold: Hold = .none
    /// An API request counted in flight: the server must call `SandboxEngine.finish()` after answering.
    var countsInFlight = false
    /// For 429s: which limit answered.
    var limitScope: LimitScope?

    enum LimitScope: Sendable { case user, global, shared, banned }

    var bodyBytes: [UInt8] { rawBody ?? json?.bytes ?? [] }
}

/// SplitMix64: a small seeded generator for reproducible fault rates and jitter.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct EngineState: Sendable {
    var guild: GuildState
    var limiter: RateLimiterState
    var oauth = OAuthState()
    var stats = SandboxStats()
    var faults: SandboxFaults
    var random: SplitMix64
    /// The request log (only when `SandboxConfiguration.requestLogLimit` > 0), oldest first.
    var requestLog: [SandboxRequestRecord] = []
    /// Recent invalid requests (for the ban) and the end of a ban in force (monotonic seconds).
    var invalidWindow: SlidingWindow?
    var bannedUntil: Double?
}

/// Wall and monotonic time of one decision.
struct Instant: Sendable {
    /// Monotonic seconds since the engine started.
    var monotonic: Double
    /// Unix time in seconds.
    var wall: Double
}

final class SandboxEngine: Sendable {
    let configuration: SandboxConfiguration
    private let origin = ContinuousClock.now
    private let state: Mutex<EngineState>

    init(configuration: SandboxConfiguration, seed: SandboxSeed) {
        self.configuration = configuration
        state = Mutex(EngineState(
            guild: GuildState(guildID: configuration.guildID, seed: seed),
            limiter: RateLimiterState(globalRule: configuration.effectiveGlobalLimit),
            faults: configuration.faults,
            random: SplitMix64(state: configuration.randomSeed),
            invalidWindow: configuration.effectiveInvalidRequestBan.map {
                SlidingWindow(rule: RateLimitRule(limit: $0.threshold, window: $0.window))
            }))
    }

    func now() -> Instant {
        Instant(monotonic: (ContinuousClock.now - origin).seconds, wall: Date().timeIntervalSince1970)
    }

    // MARK: Accessors for the library API

    func withState<T: Sendable>(_ body: (inout EngineState) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// Marks one API request as answered (in-flight accounting).
    func finish() {
        state.withLock { $0.stats.inFlight = max(0, $0.stats.inFlight - 1) }
    }

    // MARK: Entry point

    func handle(_ request: SandboxRequest) -> SandboxReply {
        switch RouteParser.match(method: request.method, path: request.path) {
        case .admin(let segments):
            return handleAdmin(segments, request)
        case .notFound:
            return handleAPI(nil, request, unmatched: .notFound)
        case .methodNotAllowed:
            return handleAPI(nil, request, unmatched: .methodNotAllowed)
        case .api(let match):
            return handleAPI(match, request, unmatched: nil)
        }
    }

    private func handleAPI(_ match: MatchedRoute?, _ request: SandboxRequest, unmatched: APIError?) -> SandboxReply {
        let time = now()
        let configuration = configuration
        var reply = state.withLock { state in
            state.decide(match, request, unmatched: unmatched, configuration: configuration, time: time)
        }
        reply.countsInFlight = true
        return reply
    }
}

// MARK: - Decisions (run under the lock)

extension EngineState {
    mutating func decide(
        _ match: MatchedRoute?, _ request: SandboxRequest, unmatched: APIError?,
        configuration: SandboxConfiguration, time: Instant
    ) -> SandboxReply {
        let routeKey = match?.route.rawValue ?? "OTHER"
        stats.totalRequests += 1
        stats.requestsPerRoute[routeKey, default: 0] += 1
        stats.inFlight += 1
        stats.peakConcurrency = max(stats.peakConcurrency, stats.inFlight)

        var reply: SandboxReply
        if faults.banned || (bannedUntil ?? -1) > time.monotonic {
            reply = Self.banned()
        } else {
            reply = decideUnrecorded(match, request, unmatched: unmatched, configuration: configuration, time: time)
            reply.headers.append(("Via", "1.1 google"))
        }
        record(reply, routeKey: routeKey, time: time, ban: configuration.effectiveInvalidRequestBan)
        if configuration.requestLogLimit > 0 {
            if requestLog.count >= configuration.requestLogLimit {
                requestLog.removeFirst(max(1, configuration.requestLogLimit / 10))
            }
            requestLog.append(SandboxRequestRecord(
                route: match?.route, method: request.method, path: request.path, status: reply.status,
                seconds: time.monotonic, userAgent: request.userAgent))
        }
        if case .none = reply.hold {
            let latency = configuration.latency
            if latency.fixed > .zero || latency.jitter > .zero {
                var delay = latency.fixed
                if latency.jitter > .zero {
                    delay += .fractionalSeconds(Double.random(in: 0...latency.jitter.seconds, using: &random))
                }
                reply.hold = .delay(delay)
            }
        }
        return reply
    }

    private mutating func record(_ reply: SandboxReply, routeKey: String, time: Instant, ban: SandboxInvalidRequestBan?) {
        stats.statusCounts[String(reply.status), default: 0] += 1
        if reply.status == 429 {
            stats.rateLimited.total += 1
            stats.rateLimited.perRoute[routeKey, default: 0] += 1
            switch reply.limitScope {
            case .global?: stats.rateLimited.global += 1
            case .shared?: stats.rateLimited.shared += 1
            case .banned?: stats.rateLimited.banned += 1
            case .user?, nil: stats.rateLimited.user += 1
            }
            if stats.first429At == nil {
                stats.first429At = time.wall
                stats.first429Route = routeKey
            }
        }
        guard reply.status == 401 || reply.status == 403 || (reply.status == 429 && reply.limitScope != .shared) else {
            return
        }
        stats.invalidRequests += 1
        // Feed the ban's window (not while banned: the block's own 429s do not extend it).
        guard reply.limitScope != .banned, let ban, invalidWindow != nil else { return }
        _ = invalidWindow!.admit(now: time.monotonic)
        if invalidWindow!.inWindow(now: time.monotonic) >= ban.threshold {
            bannedUntil = time.monotonic + ban.duration.seconds
            stats.bannedAt = time.wall
            invalidWindow = SlidingWindow(rule: invalidWindow!.rule)
        }
    }

    /// The temporary block after too many invalid requests: 429, no rate-limit headers, no `Via`.
    static func banned() -> SandboxReply {
        SandboxReply(
            status: 429,
            json: .object([
                ("code", .int(0)),
                ("message", .string(
                    "You are being blocked from accessing our API temporarily due to exceeding our rate limits frequently. "
                        + "Please read our docs at https://discord.com/developers/docs/topics/rate-limits to prevent this moving forward.")),
            ]),
            limitScope: .banned)
    }

    private mutating func decideUnrecorded(
        _ match: MatchedRoute?, _ request: SandboxRequest, unmatched: APIError?,
        configuration: SandboxConfiguration, time: Instant
    ) -> SandboxReply {
        guard let match else {
            let error = unmatched ?? .notFound
            return SandboxReply(status: error.status, json: error.json)
        }
        let route = match.route

        // 2. Hang.
        if let hang = faults.hang, hang.routes.isEmpty || hang.routes.contains(route), (hang.count ?? 1) > 0 {
            if let count = hang.count { faults.hang?.count = count - 1 }
            stats.hungRequests += 1
            return SandboxReply(
                status: 504, json: .object([("message", .string("504: Gateway Timeout")), ("code", .int(0))]),
                hold: .hang(hang.maxDuration))
        }

        // 3. Server errors.
        if faults.serverErrorRate > 0, Double.random(in: 0..<1, using: &random) < faults.serverErrorRate {
            stats.injectedServerErrors += 1
            let status = faults.serverErrorStatuses.randomElement(using: &random) ?? 500
            if faults.serverErrorHTML {
                return SandboxReply(
                    status: status, rawBody: Array(Self.cloudflarePage(status).utf8), contentType: "text/html; charset=UTF-8")
            }
            let reason = status == 502 ? "Bad Gateway" : (status == 503 ? "Service Unavailable" : "Internal Server Error")
            return SandboxReply(status: status, json: .object([("message", .string("\(status): \(reason)")), ("code", .int(0))]))
        }

        // The OAuth2 token endpoint has its own client authentication.
        if route == .oauthToken {
            return exchangeToken(request, configuration: configuration, time: time)
        }

        // 4. Authentication.
        let botToken = request.authorization == "Bot " + configuration.botToken && !faults.tokenRevoked
        if route == .getCurrentUser, !botToken {
            guard let header = request.authorization, header.hasPrefix("Bearer "),
                let grant = oauth.grant(forAccessToken: String(header.dropFirst("Bearer ".count)), now: time.monotonic),
                grant.scopes.contains("identify")
            else { return Self.reply(APIError.unauthorized) }
            return SandboxReply(status: 200, json: grant.user.json)
        }
        guard botToken else { return Self.reply(APIError.unauthorized) }

        // 5-6. Rate limits.
        let bucketRule = route.bucket.flatMap { configuration.limit(for: $0) }
        let key = BucketKey(name: route.bucket?.rawValue ?? route.rawValue, major: String(match.guild))
        var limitHeaders: [(String, String)] = []
        if let limited = checkLimits(route: route, key: key, bucketRule: bucketRule, time: time, headers: &limitHeaders) {
            return limited
        }

        // 7. The operation.
        var reply: SandboxReply
        do throws(APIError) {
            let (status, json) = try perform(match, request, configuration: configuration, time: time)
            reply = SandboxReply(status: status, json: json, contentType: json == nil ? nil : "application/json")
        } catch {
            reply = Self.reply(error)
        }
        reply.headers = limitHeaders
        return reply
    }

    /// Applies forced blocks, forced 429s and the windows. Returns a 429 reply, or nil with the
    /// bucket's headers filled in when admitted.
    private mutating func checkLimits(
        route: SandboxRoute, key: BucketKey, bucketRule: RateLimitRule?, time: Instant,
        headers: inout [(String, String)]
    ) -> SandboxReply? {
        let now = time.monotonic
        let bucketHash = route.bucket?.hash
        if let index = faults.forcedRateLimits.firstIndex(where: { ($0.route == nil || $0.route == route) && $0.count > 0 }) {
            faults.forcedRateLimits[index].count -= 1
            let forced = faults.forcedRateLimits[index]
            let retryAfter = forced.retryAfter.seconds
            let block = RateLimiterState.Block(until: now + retryAfter, scope: forced.scope)
            if forced.scope == .global {
                limiter.globalBlock = block
            } else {
                limiter.blocks[key] = block
            }
            return Self.tooManyRequests(retryAfter: retryAfter, scope: forced.scope, rule: bucketRule, hash: bucketHash, time: time)
        }
        if let block = limiter.globalBlock, block.until > now {
            return Self.tooManyRequests(
                retryAfter: block.until - now, scope: block.scope, rule: bucketRule, hash: bucketHash, time: time)
        }
        if let block = limiter.blocks[key], block.until > now {
            return Self.tooManyRequests(
                retryAfter: block.until - now, scope: block.scope, rule: bucketRule, hash: bucketHash, time: time)
        }
        switch limiter.check(bucket: bucketRule == nil ? nil : key, rule: bucketRule, now: now) {
        case .globalLimited(let retryAfter):
            return Self.tooManyRequests(retryAfter: retryAfter, scope: .global, rule: nil, hash: nil, time: time)
        case .bucketLimited(let decision):
            return Self.tooManyRequests(
                retryAfter: decision.resetAfter, scope: .user, rule: bucketRule, hash: bucketHash, time: time)
        case .admitted(let decision):
            if let decision, let bucketRule, let bucketHash {
                headers = Self.bucketHeaders(
                    rule: bucketRule, remaining: decision.remaining, resetAfter: decision.resetAfter,
                    hash: bucketHash, time: time)
            }
            return nil
        }
    }

    static func bucketHeaders(rule: RateLimitRule, remaining: Int, resetAfter: Double, hash: String, time: Instant) -> [(String, String)] {
        [
            ("X-RateLimit-Limit", String(rule.limit)),
            ("X-RateLimit-Remaining", String(remaining)),
            ("X-RateLimit-Reset", formatSeconds3(time.wall + resetAfter)),
            ("X-RateLimit-Reset-After", formatSeconds3(resetAfter)),
            ("X-RateLimit-Bucket", hash),
        ]
    }

    /// A 429 as Discord sends it. Global ones carry only Retry-After, X-RateLimit-Global and -Scope.
    static func tooManyRequests(
        retryAfter: Double, scope: SandboxForcedRateLimit.Scope, rule: RateLimitRule?, hash: String?, time: Instant
    ) -> SandboxReply {
        let retryText = formatSeconds3(retryAfter)
        let retryHeader = String(Int((Double(retryText) ?? retryAfter).rounded(.up)))
        var headers: [(String, String)] = []
        if scope != .global, let rule, let hash {
            headers = bucketHeaders(rule: rule, remaining: 0, resetAfter: retryAfter, hash: hash, time: time)
        }
        headers.append(("Retry-After", retryHeader))
        if scope == .global { headers.append(("X-RateLimit-Global", "true")) }
        headers.append(("X-RateLimit-Scope", scope.rawValue))
        let message = scope == .shared ? "The resource is being rate limited." : "You are being rate limited."
        let limitScope: SandboxReply.LimitScope = switch scope {
        case .user: .user
        case .global: .global
        case .shared: .shared
        }
        return SandboxReply(
            status: 429, headers: headers,
            json: .object([
                ("message", .string(message)),
                ("retry_after", .rawNumber(retryText)),
                ("global", .bool(scope == .global)),
            ]),
            limitScope: limitScope)
    }

    static func reply(_ error: APIError) -> SandboxReply {
        SandboxReply(status: error.status, json: error.json)
    }

    static func cloudflarePage(_ status: Int) -> String {
        """
        <!DOCTYPE html>
        <html><head><title>discord.com | \(status): Bad gateway</title></head>
        <body><div id="cf-error-details"><h1>Bad gateway</h1><span>Error code \(status)</span>
        <p>Visit <a href="https://www.cloudflare.com/">cloudflare.com</a> for more information.</p>
        <p>Cloudflare Ray ID: 0000000000000000</p></div></body></html>
        """
    }

    // MARK: OAuth2 token exchange

    private mutating func exchangeToken(_ request: SandboxRequest, configuration: SandboxConfiguration, time: Instant) -> SandboxReply {
        func failure(_ status: Int, _ error: String, _ description: String) -> SandboxReply {
            SandboxReply(status: status, json: OAuthState.error(error, description))
        }
        guard let contentType = request.contentType?.lowercased(),
            contentType.hasPrefix("application/x-www-form-urlencoded")
        else {
            return failure(400, "invalid_request", "Request body must be application/x-www-form-urlencoded.")
        }
        let form = FormDecoding.decode(String(decoding: request.body, as: UTF8.self))
        let basic = FormDecoding.basicCredentials(request.authorization)
        let clientID = basic?.id ?? form["client_id"]
        let clientSecret = basic?.secret ?? form["client_secret"]
        guard clientID == configuration.oauth.clientID, clientSecret == configuration.oauth.clientSecret else {
            return failure(401, "invalid_client", "Invalid client credentials.")
        }
        switch form["grant_type"] {
        case "authorization_code":
            guard let code = form["code"], let pending = oauth.codes[code] else {
                return failure(400, "invalid_grant", "Invalid \"code\" in request.")
            }
            guard form["redirect_uri"] == pending.redirectURI else {
                return failure(400, "invalid_grant", "Invalid \"redirect_uri\" in request.")
            }
            oauth.codes[code] = nil
            let issued = oauth.issueTokens(user: pending.user, scope: pending.scope, now: time.monotonic)
            return SandboxReply(status: 200, json: OAuthState.tokenResponse(access: issued.access, grant: issued.grant))
        case "refresh_token":
            guard let refresh = form["refresh_token"], let access = oauth.refreshTokens[refresh],
                let grant = oauth.accessTokens[access]
            else {
                return failure(400, "invalid_grant", "Invalid \"refresh_token\" in request.")
            }
            oauth.refreshTokens[refresh] = nil
            oauth.accessTokens[access] = nil
            let issued = oauth.issueTokens(user: grant.user, scope: grant.scope, now: time.monotonic)
            return SandboxReply(status: 200, json: OAuthState.tokenResponse(access: issued.access, grant: issued.grant))
        case nil:
            return failure(400, "invalid_request", "Missing \"grant_type\" in request.")
        default:
            return failure(400, "unsupported_grant_type", "Unsupported grant type.")
        }
    }
}
