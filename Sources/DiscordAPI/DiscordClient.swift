public import CurlHTTP
import Foundation
public import Logging
public import RedisClient
import Synchronization
import WorkerMetrics

/// Counters of one client since it was created (this process only).
public struct DiscordClientStatistics: Sendable, Hashable {
    /// HTTP requests sent (every attempt).
    public var requests: Int
    /// 429 answers received.
    public var tooManyRequests: Int
    /// 401/403/non-shared 429 answers received.
    public var invalidRequests: Int
    /// Requests that got no HTTP response (timeout, connection).
    public var transportFailures: Int
}

/// Discord HTTP API v10 client for the role/nickname sync. Requests are shaped before they are sent
/// by a rate limiter whose state lives in Redis, so any number of processes using the same Redis
/// and bot token stay within Discord's per-bucket and global limits together. 429 answers are
/// obeyed and retried inside the call; every other failure is a `DiscordAPIError`.
public final class DiscordClient: Sendable {
    public let options: DiscordClientOptions
    let http: CurlHTTPClient
    private let ownsHTTP: Bool
    let limiter: SharedRateLimiter
    let logger: Logger
    /// Set by a 401 on the bot token: later calls fail without a request (and without Redis).
    private let botTokenRejected = Atomic<Bool>(false)
    private let isShutDown = Atomic<Bool>(false)
    private let requestCount = Atomic<Int>(0)
    private let tooManyCount = Atomic<Int>(0)
    private let invalidCount = Atomic<Int>(0)
    private let transportFailureCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - redis: the connection for the shared rate-limit state (AA's cache Redis is a good home).
    ///   - http: a shared HTTP client; by default the Discord client creates (and shuts down) its own.
    public init(options: DiscordClientOptions, redis: RedisClient, http: CurlHTTPClient? = nil,
                logger: Logger = Logger(label: "discord-worker.discord-api")) {
        self.options = options
        if let http {
            self.http = http
            ownsHTTP = false
        } else {
            self.http = CurlHTTPClient(logger: logger)
            ownsHTTP = true
        }
        self.logger = logger
        limiter = SharedRateLimiter(redis: redis, options: options.rateLimits, botToken: options.botToken,
                                    requestTimeout: options.connectTimeout + options.readTimeout, logger: logger)
    }

    /// Stops the HTTP client if this instance created it. The Redis client belongs to the caller.
    /// Required before the client is dropped (debug builds stop in `deinit` otherwise).
    public func shutdown() async {
        isShutDown.store(true, ordering: .releasing)
        if ownsHTTP { await http.shutdown() }
    }

    /// Debug builds stop here when the client is dropped without ``shutdown()`` (as async-http-client does).
    deinit {
        assert(isShutDown.load(ordering: .acquiring), "DiscordClient dropped without shutdown()")
    }

    /// Redis key names of this client's rate-limit state (for status output and tests).
    public var rateLimitKeys: RateLimitKeys { limiter.keys }

    public func statistics() -> DiscordClientStatistics {
        DiscordClientStatistics(
            requests: requestCount.load(ordering: .relaxed),
            tooManyRequests: tooManyCount.load(ordering: .relaxed),
            invalidRequests: invalidCount.load(ordering: .relaxed),
            transportFailures: transportFailureCount.load(ordering: .relaxed))
    }

    // MARK: - The request path

    enum Authorization {
        case bot
        case bearer(Secret)
        case basic(user: String, password: Secret)
    }

    struct Call {
        var route: DiscordRoute
        var query: [(String, String)] = []
        var body: [UInt8]? = nil
        var contentType: String? = nil
        var authorization: Authorization = .bot
        var auditLog = false
        /// An absolute URL instead of the API base + path (the OAuth token endpoint).
        var absoluteURL: String? = nil

        var isBot: Bool {
            if case .bot = authorization { true } else { false }
        }
    }

    /// Sends a call through the limiter; returns the first answer that is not a 429 (any status).
    func perform(_ call: Call) async throws(DiscordAPIError) -> HTTPResponse {
        let route = call.route
        if call.isBot, botTokenRejected.load(ordering: .acquiring) {
            throw DiscordAPIError.unauthorizedLatch(route: route.name)
        }
        let request = try makeRequest(call)
        var attempt = 0
        while true {
            attempt += 1
            let reservation: RateLimitReservation
            do {
                reservation = try await limiter.acquire(route, isBot: call.isBot, priority: RequestPriority.current)
            } catch {
                // Another process saw the 401: remember it here too, later calls skip Redis.
                if error.code == .unauthorized { botTokenRejected.store(true, ordering: .releasing) }
                throw error
            }
            if call.isBot, botTokenRejected.load(ordering: .acquiring) {
                _ = await limiter.complete(reservation, .noResponse)
                throw DiscordAPIError.unauthorizedLatch(route: route.name)
            }
            let started = ContinuousClock.now
            requestCount.add(1, ordering: .relaxed)
            let response: HTTPResponse
            do {
                response = try await http.send(request)
            } catch {
                transportFailureCount.add(1, ordering: .relaxed)
                WorkerMetrics.discordRequest(route: route.name, status: nil)
                _ = await limiter.complete(reservation, .noResponse)
                logger.debug("Discord request failed", metadata: [
                    LogKey.route: "\(route.name)", LogKey.attempt: "\(attempt)", LogKey.error: "\(error.message)",
                ])
                throw Self.transportError(error, route: route.name)
            }
            WorkerMetrics.discordRequest(route: route.name, status: response.status)
            let headers = RateLimitHeaders { response.headers[$0] }
            var outcome = RateLimitOutcome(status: response.status, headers: headers, tooManyRequests: nil)
            if response.status == 429 {
                outcome.tooManyRequests = TooManyRequestsVerdict.decide(headers: headers, body: response.body)
            }
            if outcome.countsAsInvalid { invalidCount.add(1, ordering: .relaxed) }
            if response.status == 401, call.isBot { botTokenRejected.store(true, ordering: .releasing) }
            let invalidTotal = await limiter.complete(reservation, outcome)
            logger.debug("Discord request", metadata: [
                LogKey.route: "\(route.name)", LogKey.status: "\(response.status)", LogKey.attempt: "\(attempt)",
                LogKey.bucket: "\(headers.bucket ?? "-")", LogKey.elapsed: "\(ContinuousClock.now - started)",
            ])
            guard let verdict = outcome.tooManyRequests else {
                if outcome.countsAsInvalid, let invalidTotal {
                    logger.debug("invalid request counted", metadata: [
                        LogKey.route: "\(route.name)", LogKey.status: "\(response.status)", LogKey.invalidCount: "\(invalidTotal)",
                    ])
                }
                return response
            }
            tooManyCount.add(1, ordering: .relaxed)
            WorkerMetrics.discordRateLimited(route: route.name, scope: verdict.scope.rawValue)
            logger.debug("Discord answered 429", metadata: [
                LogKey.route: "\(route.name)", LogKey.scope: "\(verdict.scope.rawValue)",
                LogKey.waitMilliseconds: "\(verdict.wait.wholeMilliseconds)",
                "remaining": "\(headers.remaining.map(String.init) ?? "-")", "cloudflare": "\(verdict.isCloudflareBlock)",
            ])
            if verdict.isCloudflareBlock {
                throw DiscordAPIError(.rateLimited, route: route.name, status: 429,
                                      message: "HTTP 429 without Discord's JSON body: the IP is probably blocked by Cloudflare for too many invalid requests; every bot request now waits",
                                      retryAfter: verdict.wait)
            }
            if attempt > options.rateLimits.max429Retries {
                throw DiscordAPIError(.rateLimited, route: route.name, status: 429,
                                      message: "still rate limited after \(attempt) attempts (scope \(verdict.scope.rawValue))",
                                      retryAfter: verdict.wait)
            }
        }
    }

    private func makeRequest(_ call: Call) throws(DiscordAPIError) -> HTTPRequest {
        var url = call.absoluteURL ?? (options.apiBaseURL + call.route.path)
        if !call.query.isEmpty {
            url += "?" + call.query.map { "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        }
        var headers: [(name: String, value: String)] = []
        switch call.authorization {
        case .bot:
            headers.append(("Authorization", "Bot \(options.botToken.value)"))
        case .bearer(let token):
            headers.append(("Authorization", "Bearer \(token.value)"))
        case .basic(let user, let password):
            let credentials = Data("\(user):\(password.value)".utf8).base64EncodedString()
            headers.append(("Authorization", "Basic \(credentials)"))
        }
        headers.append(("User-Agent", options.userAgent))
        headers.append(("Accept", "application/json"))
        if let contentType = call.contentType, call.body != nil {
            headers.append(("Content-Type", contentType))
        }
        if call.auditLog, let reason = options.auditLogReason, !reason.isEmpty {
            headers.append(("X-Audit-Log-Reason", PercentEncoding.encode(String(reason.prefix(512)))))
        }
        let method: HTTPRequest.Method = switch call.route.method {
        case .get: .get
        case .post: .post
        case .put: .put
        case .patch: .patch
        case .delete: .delete
        }
        let timeouts = HTTPRequest.Timeouts(connect: options.connectTimeout, total: options.connectTimeout + options.readTimeout)
        switch URLCheck.check(url) {
        case .allowed:
            break
        case .insecure(let host):
            throw DiscordAPIError(.invalidRequest, route: call.route.name,
                                  message: "refusing plain http:// to '\(host)': only loopback hosts may use http (check DISCORD_API_BASE_URL / DISCORD_OAUTH_TOKEN_URL)")
        case .invalid(let reason):
            throw DiscordAPIError(.invalidRequest, route: call.route.name,
                                  message: "bad URL \(URLCheck.withoutQuery(url)): \(reason) (check DISCORD_API_BASE_URL / DISCORD_OAUTH_TOKEN_URL)")
        }
        return HTTPRequest(method: method, url: url, headers: headers, body: call.body, timeouts: timeouts)
    }

    static func transportError(_ error: HTTPClientError, route: String) -> DiscordAPIError {
        let code: DiscordAPIError.Code = switch error.code {
        case .timeout: .timeout
        case .cancelled, .shutdown: .cancelled
        case .insecureURL, .invalidURL, .invalidRequest: .invalidRequest
        case .connectFailed, .tls, .responseTooLarge, .other: .network
        }
        return DiscordAPIError(code, route: route, message: error.message)
    }

    // MARK: - Responses

    /// Discord's JSON error body, or nil when the body is not a JSON object.
    struct ErrorBody {
        var code: Int?
        var message: String?
        /// Field errors of a 50035, flattened: `nick: Must be 32 or fewer in length.`
        var details: [String]
        /// OAuth2 token endpoint: `error` / `error_description`.
        var oauthError: String?
        var oauthDescription: String?

        init?(_ body: [UInt8]) {
            guard !body.isEmpty,
                let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            else { return nil }
            code = (object["code"] as? NSNumber)?.intValue
            message = object["message"] as? String
            oauthError = object["error"] as? String
            oauthDescription = object["error_description"] as? String
            var details: [String] = []
            if let errors = object["errors"] {
                Self.collect(errors, path: [], into: &details)
            }
            self.details = details
        }

        private static func collect(_ value: Any, path: [String], into out: inout [String]) {
            guard out.count < 5, let object = value as? [String: Any] else { return }
            if let list = object["_errors"] as? [[String: Any]] {
                for item in list where out.count < 5 {
                    let text = (item["message"] as? String) ?? (item["code"] as? String) ?? "invalid"
                    out.append(path.isEmpty ? text : "\(path.joined(separator: ".")): \(text)")
                }
            }
            for key in object.keys.sorted() where key != "_errors" {
                collect(object[key]!, path: path + [key], into: &out)
            }
        }
    }

    /// The error for a response that is not the expected success.
    func failure(_ response: HTTPResponse, route: DiscordRoute, bearer: Bool = false) -> DiscordAPIError {
        let status = response.status
        guard let body = ErrorBody(response.body) else {
            if status == 401 && !bearer {
                return Self.unauthorized(route: route.name, discordCode: nil)
            }
            if response.body.isEmpty {
                let code: DiscordAPIError.Code = (500...599).contains(status) ? .server : .other(status: status, code: nil)
                return DiscordAPIError(code, route: route.name, status: status, message: "HTTP \(status) without a body")
            }
            // An HTML/text page (Cloudflare, a proxy) instead of Discord's JSON; retryable.
            return DiscordAPIError(.nonJSON, route: route.name, status: status,
                                   message: "HTTP \(status) with a non-JSON body (\(Self.describeBody(response))): a proxy or Cloudflare page instead of Discord's API")
        }
        var code = DiscordAPIError.Code.from(status: status, discordCode: body.code)
        if status == 401 && bearer { code = .invalidOAuthToken }
        if code == .unauthorized {
            return Self.unauthorized(route: route.name, discordCode: body.code)
        }
        var message = body.message ?? body.oauthDescription ?? "HTTP \(status)"
        if !body.details.isEmpty { message += " (" + body.details.joined(separator: "; ") + ")" }
        switch code {
        case .missingAccess:
            message += route.template == "/guilds/:id/members"
                ? ": listing members needs the GUILD_MEMBERS privileged intent enabled for the application in the Developer Portal"
                : ": the bot cannot see this resource"
        case .missingPermissions:
            message += ": the bot lacks the permission, or the target role/member is not below the bot's highest role"
        case .invalidOAuthToken:
            message += ": the user's OAuth2 access token is invalid or expired"
        default:
            break
        }
        return DiscordAPIError(code, route: route.name, status: status, discordCode: body.code, message: message)
    }

    static func unauthorized(route: String, discordCode: Int?) -> DiscordAPIError {
        DiscordAPIError(.unauthorized, route: route, status: 401, discordCode: discordCode,
                        message: "Discord rejected the bot token (HTTP 401 Unauthorized): check DISCORD_BOT_TOKEN. No further requests are sent with this token")
    }

    static func describeBody(_ response: HTTPResponse) -> String {
        let type = response.headers["Content-Type"] ?? "no content type"
        return "\(type), \(response.body.count) bytes"
    }

    /// Decodes a 2xx JSON body.
    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, route: DiscordRoute) throws(DiscordAPIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            if (try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])) == nil {
                throw DiscordAPIError(.nonJSON, route: route.name, status: response.status,
                                      message: "HTTP \(response.status) with a non-JSON body (\(Self.describeBody(response)))")
            }
            throw DiscordAPIError(.unexpectedResponse, route: route.name, status: response.status,
                                  message: "cannot read \(T.self) from the response: \(Self.describeDecodingError(error))")
        }
    }

    static func describeDecodingError(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(type(of: error))" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)' at '\(path(context))'"
        case .typeMismatch(_, let context): return "wrong type at '\(path(context))'"
        case .valueNotFound(_, let context): return "null at '\(path(context))'"
        case .dataCorrupted(let context): return "bad value at '\(path(context))': \(context.debugDescription)"
        @unknown default: return "undecodable"
        }
    }
}
