import Foundation

/// Discord's rate-limit response headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset`, `-Reset-After` in
/// seconds with decimals, `-Bucket`, `-Global`, `-Scope`, and `Retry-After`), parsed. Every field is optional:
/// a header that is missing or malformed is nil.
public struct RateLimitHeaders: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable {
        case user, global, shared
    }

    /// `X-RateLimit-Bucket`: the bucket hash (without the major parameter).
    public var bucket: String?
    public var limit: Int?
    public var remaining: Int?
    /// `X-RateLimit-Reset-After`, seconds with decimals → rounded up to a millisecond.
    public var resetAfter: Duration?
    /// `Retry-After` (seconds).
    public var retryAfter: Duration?
    /// `X-RateLimit-Global: true`.
    public var isGlobal: Bool
    public var scope: Scope?

    public init(bucket: String? = nil, limit: Int? = nil, remaining: Int? = nil, resetAfter: Duration? = nil,
                retryAfter: Duration? = nil, isGlobal: Bool = false, scope: Scope? = nil) {
        self.bucket = bucket
        self.limit = limit
        self.remaining = remaining
        self.resetAfter = resetAfter
        self.retryAfter = retryAfter
        self.isGlobal = isGlobal
        self.scope = scope
    }

    /// Parses from a header lookup (case-insensitive name → first value).
    public init(lookup: (String) -> String?) {
        let bucket = lookup("X-RateLimit-Bucket")?.trimmingCharacters(in: .whitespaces)
        // The hash becomes part of a Redis key: accept only a plain token.
        if let bucket, !bucket.isEmpty, bucket.utf8.count <= 128,
            bucket.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
        {
            self.bucket = bucket
        } else {
            self.bucket = nil
        }
        limit = lookup("X-RateLimit-Limit").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
        remaining = lookup("X-RateLimit-Remaining").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
        resetAfter = lookup("X-RateLimit-Reset-After").flatMap(Self.parseSeconds)
        retryAfter = lookup("Retry-After").flatMap(Self.parseSeconds)
        isGlobal = lookup("X-RateLimit-Global").map { $0.trimmingCharacters(in: .whitespaces).lowercased() == "true" } ?? false
        scope = lookup("X-RateLimit-Scope").flatMap { Scope(rawValue: $0.trimmingCharacters(in: .whitespaces).lowercased()) }
    }

    /// Seconds as Discord writes them (`64.57`, `1`, `0.5`) → a Duration rounded up to the next
    /// millisecond. Negative, non-finite or absurd (> 7 days) values are rejected.
    public static func parseSeconds(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }),
            let seconds = Double(trimmed)
        else { return nil }
        return duration(seconds: seconds)
    }

    static func duration(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0, seconds <= 7 * 86_400 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// Whether this response is the first in a fresh window, so `Reset-After` is the window length.
    public var isFirstInWindow: Bool {
        guard let limit, let remaining else { return false }
        return limit > 0 && remaining == limit - 1
    }
}

/// The JSON body of a 429: `{"message": …, "retry_after": 64.57, "global": false}` (`retry_after` in
/// seconds since API v8), `code` only for some limits.
struct TooManyRequestsBody: Decodable, Sendable {
    var message: String?
    /// Seconds (float) since API v8.
    var retryAfter: Double?
    var global: Bool?
    var code: Int?

    enum CodingKeys: String, CodingKey {
        case message, global, code
        case retryAfter = "retry_after"
    }
}

/// What a 429 means for the limiter: which scope to block, for how long, whether it counts as an
/// invalid request.
public struct TooManyRequestsVerdict: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable {
        /// Every bot request waits (global limit, or a Cloudflare block).
        case global
        /// This route's bucket (scope `user`, or a hidden sub-limit).
        case bucket
        /// A per-resource limit shared by everyone: block the bucket, not counted as invalid.
        case shared
    }

    public var scope: Scope
    public var wait: Duration
    public var countsAsInvalid: Bool
    /// No JSON body: a Cloudflare-level block rather than Discord's limiter.
    public var isCloudflareBlock: Bool

    /// Wait used when a 429 names no time at all.
    static let fallbackWait: Duration = .seconds(5)
    /// Minimum wait after a 429 without a Discord JSON body (a Cloudflare ban lasts long).
    static let cloudflareWait: Duration = .seconds(60)

    /// `retry_after` from the body (the precise value) wins, then `Retry-After`, then `Reset-After`.
    public static func decide(headers: RateLimitHeaders, body: [UInt8]) -> TooManyRequestsVerdict {
        let parsed = try? JSONDecoder().decode(TooManyRequestsBody.self, from: Data(body))
        guard let parsed else {
            let wait = max(headers.retryAfter ?? .zero, cloudflareWait)
            return TooManyRequestsVerdict(scope: .global, wait: wait, countsAsInvalid: true, isCloudflareBlock: true)
        }
        let wait = parsed.retryAfter.flatMap(RateLimitHeaders.duration(seconds:))
            ?? headers.retryAfter ?? headers.resetAfter ?? fallbackWait
        let scope: Scope
        if headers.scope == .global || headers.isGlobal || parsed.global == true {
            scope = .global
        } else if headers.scope == .shared {
            scope = .shared
        } else {
            scope = .bucket
        }
        return TooManyRequestsVerdict(scope: scope, wait: wait, countsAsInvalid: scope != .shared, isCloudflareBlock: false)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up, clamped at zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        let ms = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 == 0 ? ms : ms + 1
    }
}
