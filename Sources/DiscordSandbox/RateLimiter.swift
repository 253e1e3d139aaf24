// Rate-limit model (pure; times are monotonic seconds passed in as `now`).
//
// Every bucket is a SLIDING WINDOW unless its rule says `.fixed` (see below): a request is admitted when fewer than `limit` admitted requests
// arrived in the last `window` seconds; its slot frees exactly `window` after its ARRIVAL. A rejected
// (429) request consumes nothing. What the headers say, for a bucket after a decision at `now`:
//   X-RateLimit-Remaining = limit − admitted requests still in the window (after this one),
//   X-RateLimit-Reset-After = time until the oldest request in the window leaves it, i.e. until
//       Remaining next grows (one slot frees then, not necessarily all),
//   X-RateLimit-Reset = wall-clock now + Reset-After,
//   retry_after (on a 429) = that same time until one slot frees.
// A client that waits Reset-After when Remaining is 0 always gets at least one slot.
// A `.fixed` rule instead opens a window at the first admitted request; all `limit` slots free when
// it ends, and Reset-After is the time until then.
// Buckets are kept per (bucket, guild) ("major parameter") plus one global window per bot token.

/// One bucket's admission record: a sliding window of arrival times, or a fixed window.
struct SlidingWindow: Sendable {
    let rule: RateLimitRule
    private var arrivals: [Double] = []
    private var head = 0
    /// Fixed windows: when the current window opened (nil = none open).
    private var fixedStart: Double?

    init(rule: RateLimitRule) {
        self.rule = rule
        if rule.kind == .sliding { arrivals.reserveCapacity(min(rule.limit, 64)) }
    }

    struct Decision: Sendable, Equatable {
        var admitted: Bool
        /// Slots left after this decision.
        var remaining: Int
        /// Seconds until one more slot frees (the retry_after of a rejection).
        var resetAfter: Double
    }

    private mutating func expire(now: Double) {
        let window = rule.windowSeconds
        if rule.kind == .fixed {
            if let start = fixedStart, start + window <= now {
                fixedStart = nil
                arrivals.removeAll(keepingCapacity: true)
                head = 0
            }
            return
        }
        while head < arrivals.count, arrivals[head] + window <= now { head += 1 }
        if head > 64, head * 2 > arrivals.count {
            arrivals.removeFirst(head)
            head = 0
        }
    }

    /// When the next slot frees, as seconds from `now`.
    private func resetAfter(now: Double) -> Double {
        let oldest = rule.kind == .fixed ? (fixedStart ?? now) : (head < arrivals.count ? arrivals[head] : now)
        return max(0, oldest + rule.windowSeconds - now)
    }

    /// Admitted requests still in the window at `now`.
    mutating func inWindow(now: Double) -> Int {
        expire(now: now)
        return arrivals.count - head
    }

    /// Decides without admitting.
    mutating func peek(now: Double) -> Decision {
        expire(now: now)
        let used = arrivals.count - head
        return Decision(admitted: used < rule.limit, remaining: max(0, rule.limit - used), resetAfter: resetAfter(now: now))
    }

    /// Records an admission at `now` (call only after `peek` said admitted) and returns the headers' view.
    mutating func admit(now: Double) -> Decision {
        expire(now: now)
        if rule.kind == .fixed, fixedStart == nil { fixedStart = now }
        arrivals.append(now)
        let used = arrivals.count - head
        return Decision(admitted: true, remaining: max(0, rule.limit - used), resetAfter: resetAfter(now: now))
    }
}

/// A bucket instance: a bucket kind in one guild (or a route without a bucket, for forced blocks).
struct BucketKey: Hashable, Sendable {
    /// `SandboxBucket.rawValue`, or the route template for bucket-less routes.
    var name: String
    /// The major parameter (guild id as it appeared in the path).
    var major: String
}

/// All rate-limit state: per-bucket windows, the global window, forced blocks.
struct RateLimiterState: Sendable {
    var buckets: [BucketKey: SlidingWindow] = [:]
    var global: SlidingWindow?
    /// Forced blocks (`SandboxForcedRateLimit`): until when (monotonic) and with which scope.
    var blocks: [BucketKey: Block] = [:]
    var globalBlock: Block?

    struct Block: Sendable {
        var until: Double
        var scope: SandboxForcedRateLimit.Scope
    }

    init(globalRule: RateLimitRule?) {
        global = globalRule.map(SlidingWindow.init(rule:))
    }

    enum Outcome: Sendable, Equatable {
        /// Admitted; the bucket's view for headers (nil when the route has no bucket).
        case admitted(SlidingWindow.Decision?)
        /// Rejected by the global limit.
        case globalLimited(retryAfter: Double)
        /// Rejected by the route's bucket.
        case bucketLimited(SlidingWindow.Decision)
    }

    /// Checks the global window then the bucket window; admits into both only when both allow.
    mutating func check(bucket key: BucketKey?, rule: RateLimitRule?, now: Double) -> Outcome {
        if global != nil {
            let decision = global!.peek(now: now)
            if !decision.admitted { return .globalLimited(retryAfter: decision.resetAfter) }
        }
        var bucketWindow: SlidingWindow?
        if let key, let rule {
            var window = buckets[key] ?? SlidingWindow(rule: rule)
            if window.rule != rule { window = SlidingWindow(rule: rule) }
            let decision = window.peek(now: now)
            if !decision.admitted {
                buckets[key] = window
                return .bucketLimited(decision)
            }
            bucketWindow = window
        }
        if global != nil { _ = global!.admit(now: now) }
        if let key, var window = bucketWindow {
            let decision = window.admit(now: now)
            buckets[key] = window
            return .admitted(decision)
        }
        return .admitted(nil)
    }
}
