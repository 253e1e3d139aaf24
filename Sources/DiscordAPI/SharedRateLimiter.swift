import Logging
import RedisClient
import Synchronization
import WorkerMetrics

/// Key names of the limiter's Redis state (see `RateLimitScripts` for the layout).
public struct RateLimitKeys: Sendable, Hashable {
    /// `<keyPrefix>v<version>:<token fingerprint>:`: everything that belongs to one bot token.
    public let scope: String
    /// Invalid requests of every bot using this Redis (Discord counts them per IP).
    public let invalid: String

    public init(keyPrefix: String, botToken: Secret) {
        let base = "\(keyPrefix)v\(RateLimitScripts.version):"
        scope = base + Self.fingerprint(botToken) + ":"
        invalid = base + "invalid"
    }

    public var unauthorizedLatch: String { scope + "unauthorized" }
    public var globalLog: String { scope + "global" }
    public var globalBlock: String { scope + "blocked:global" }
    public func routeBucket(_ route: DiscordRoute) -> String { scope + "route:" + route.name }
    public func bucketLog(_ bucketID: String) -> String { scope + "log:" + bucketID }
    public func bucketBlock(_ bucketID: String) -> String { scope + "blocked:" + bucketID }
    public func learnedLimits(hash: String) -> String { scope + "limits:" + hash }

    /// The bucket id before the route's hash is known.
    public static func defaultBucketID(_ route: DiscordRoute) -> String { "default:\(route.group):\(route.majorID)" }
    /// The bucket id once the hash is known: hash + major parameter.
    public static func bucketID(hash: String, route: DiscordRoute) -> String { "\(hash):\(route.majorID)" }

    /// A non-reversible 64-bit FNV-1a digest of the token (16 hex digits): separates the state of
    /// different bot tokens; a new token starts without the old one's 401 latch.
    public static func fingerprint(_ token: Secret) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in token.value.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// A granted slot: what `complete` needs to settle it.
struct RateLimitReservation: Sendable {
    let id: String
    let route: DiscordRoute
    let bucketID: String
    let isBot: Bool
}

/// What the response told the limiter.
struct RateLimitOutcome: Sendable {
    var status: Int
    var headers: RateLimitHeaders
    var tooManyRequests: TooManyRequestsVerdict?

    /// 401, 403 and 429 except shared-scope 429s: Discord bans an IP for a while after 10,000 of these
    /// in 10 minutes (400 and 404 do not count).
    var countsAsInvalid: Bool {
        switch status {
        case 401, 403: true
        case 429: tooManyRequests?.countsAsInvalid ?? true
        default: false
        }
    }

    static let noResponse = RateLimitOutcome(status: 0, headers: RateLimitHeaders(), tooManyRequests: nil)
}

/// The Redis-shared limiter: sliding logs per bucket and for the global limit, blocks after 429s,
/// the invalid-request budget and the 401 latch, all decided atomically by Lua scripts on Redis'
/// clock. Waiting happens in `Task.sleep`, never on a blocked thread.
final class SharedRateLimiter: Sendable {
    let redis: RedisClient
    let options: RateLimitOptions
    let keys: RateLimitKeys
    let holdMilliseconds: Int64
    let logger: Logger
    private let acquireScript = RedisScript(RateLimitScripts.acquire)
    private let completeScript = RedisScript(RateLimitScripts.complete)
    private let counter = Atomic<UInt64>(0)
    private let instance = UInt64.random(in: 0...UInt64.max)

    init(redis: RedisClient, options: RateLimitOptions, botToken: Secret, requestTimeout: Duration, logger: Logger) {
        self.redis = redis
        self.options = options
        self.keys = RateLimitKeys(keyPrefix: options.keyPrefix, botToken: botToken)
        self.holdMilliseconds = requestTimeout.wholeMilliseconds + 1000
        self.logger = logger
    }

    private func nextReservationID() -> String {
        let n = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return String(instance, radix: 36) + "-" + String(n, radix: 36)
    }

    func seed(for route: DiscordRoute) -> RateLimitWindow? {
        options.routeSeeds[route.name] ?? route.seed
    }

    /// The acquire script's arguments. `now` (milliseconds) replaces Redis' clock: tests only.
    func acquireArguments(_ route: DiscordRoute, isBot: Bool, id: String, priority: RequestPriority,
                          now: Int64? = nil) -> [String] {
        let seed = isBot ? seed(for: route) : nil
        let share = min(1, max(0, options.interactiveShare))
        return [
            keys.scope, keys.invalid, route.name, route.majorID, route.group,
            String(seed?.limit ?? 0), String(seed?.window.wholeMilliseconds ?? 0),
            isBot ? String(options.globalLimit.limit) : "0", String(options.globalLimit.window.wholeMilliseconds),
            id, String(holdMilliseconds),
            String(options.invalidRequestCap), String(options.invalidRequestWindow.wholeMilliseconds),
            priority == .bulk ? "b" : "i", String(options.interactiveTicket.wholeMilliseconds),
            String(Int((share * 1000).rounded())), String(max(1, options.bulkYield.wholeMilliseconds)),
            now.map { String($0) } ?? "", String(options.interactiveDemandMemory.wholeMilliseconds),
        ]
    }

    /// Waits until the route's bucket and the global limit have room, then reserves a slot.
    /// Throws `.unauthorized` (401 latch), `.invalidRequestBudget`, `.rateLimited` (a wait longer
    /// than `maxWait`), `.rateLimiterUnavailable` (Redis), `.cancelled`-like `.other` never.
    /// An interactive request that has to wait leaves a claim that makes bulk requests of the same
    /// bucket yield the next free slot to it (`RateLimitScripts.acquire`, priority lane).
    func acquire(_ route: DiscordRoute, isBot: Bool, priority: RequestPriority = .interactive) async throws(DiscordAPIError) -> RateLimitReservation {
        let id = nextReservationID()
        let args = acquireArguments(route, isBot: isBot, id: id, priority: priority)
        var waited: Duration = .zero
        let maxWait = options.maxWait
        // Bounded: every round either returns, throws, or sleeps; total sleep is capped by maxWait.
        while true {
            let reply: RedisValue
            do {
                reply = try await redis.eval(acquireScript, keys: [], args: args.map { RedisArgument($0) })
            } catch {
                throw DiscordAPIError(.rateLimiterUnavailable, route: route.name,
                                      message: "rate-limit state in Redis unavailable: \(error)")
            }
            guard let items = reply.array, items.count >= 4, let kind = items[0].int, let ms = items[1].int else {
                throw DiscordAPIError(.rateLimiterUnavailable, route: route.name,
                                      message: "unexpected reply from the rate-limit script: \(reply)")
            }
            let bucketID = items[2].string ?? ""
            switch kind {
            case 0:
                return RateLimitReservation(id: id, route: route, bucketID: items[3].int == 1 ? bucketID : "", isBot: isBot)
            case 2:
                throw DiscordAPIError.unauthorizedLatch(route: route.name)
            case 3:
                throw DiscordAPIError(.invalidRequestBudget, route: route.name,
                                      message: "more than \(options.invalidRequestCap) invalid requests (401/403/429) in the last \(options.invalidRequestWindow) across all workers; calls are refused until the window has room, to stay far from Discord's IP ban",
                                      retryAfter: .milliseconds(ms))
            default:
                let wait = Duration.milliseconds(max(1, ms))
                if wait > maxWait || waited + wait > maxWait * 2 {
                    let bucket = bucketID.isEmpty ? route.name : bucketID
                    let why = wait > maxWait
                        ? "needs a wait of \(wait), more than the allowed \(maxWait)"
                        : "has already been waited on for \(waited) and needs \(wait) more, more than twice the allowed \(maxWait) in all"
                    throw DiscordAPIError(.rateLimited, route: route.name, message: "rate limit of bucket \(bucket) \(why)",
                                          retryAfter: wait)
                }
                logger.trace("rate limit wait", metadata: [
                    LogKey.route: "\(route.name)", LogKey.bucket: "\(bucketID)", LogKey.waitMilliseconds: "\(ms)",
                ])
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw DiscordAPIError(.cancelled, route: route.name, message: "cancelled while waiting for the rate limit")
                }
                WorkerMetrics.discordRateLimitWait(route: route.name, wait)
                waited += wait
            }
        }
    }

    /// Settles a reservation with what the response said. Failures are logged, not thrown: the
    /// request has been sent already, and an unsettled reservation only keeps its slot longer.
    func complete(_ reservation: RateLimitReservation, _ outcome: RateLimitOutcome) async -> Int? {
        let route = reservation.route
        let headers = outcome.headers
        let verdict = outcome.tooManyRequests
        let args: [String] = [
            keys.scope, keys.invalid, route.name, route.majorID, route.group,
            reservation.id, reservation.bucketID, reservation.isBot ? "1" : "0", String(outcome.status),
            headers.bucket ?? "", headers.limit.map { String($0) } ?? "", headers.remaining.map { String($0) } ?? "",
            headers.resetAfter.map { String($0.wholeMilliseconds) } ?? "",
            verdict.map { String($0.wait.wholeMilliseconds) } ?? "0", verdict?.scope.rawValue ?? "",
            String(options.invalidRequestWindow.wholeMilliseconds), String(options.learnedTTL.wholeMilliseconds),
            String(options.unauthorizedLatchTTL.wholeMilliseconds),
            String(reservation.isBot ? (seed(for: route)?.window.wholeMilliseconds ?? 0) : 0),
            outcome.countsAsInvalid ? "1" : "0",
        ]
        do {
            let reply = try await redis.eval(completeScript, keys: [], args: args.map { RedisArgument($0) })
            return reply.int.map { Int($0) }
        } catch {
            logger.warning("could not record a Discord response in the shared rate-limit state", metadata: [
                LogKey.route: "\(route.name)", LogKey.status: "\(outcome.status)", LogKey.error: "\(error)",
            ])
            return nil
        }
    }
}

extension DiscordAPIError {
    static func unauthorizedLatch(route: String) -> DiscordAPIError {
        DiscordAPIError(.unauthorized, route: route, status: 401,
                        message: "Discord rejected the bot token earlier (HTTP 401); no further requests are sent with it. Check DISCORD_BOT_TOKEN")
    }
}
