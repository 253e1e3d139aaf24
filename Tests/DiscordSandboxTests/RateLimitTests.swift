@testable import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Rate limits: buckets per guild, the global limit, headers and 429 bodies")
struct RateLimitTests {
    let g = IDs.guild

    @Test func bucketHeadersOnLimitedRoutes() async throws {
        let rule = RateLimitRule(limit: 5, window: .seconds(30))
        try await withSandbox(fastConfiguration(routeLimits: [.getMember: rule])) { _, client in
            let before = Date().timeIntervalSince1970
            let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            let after = Date().timeIntervalSince1970
            #expect(response.status == .ok)
            #expect(response.header("X-RateLimit-Limit") == "5")
            #expect(response.header("X-RateLimit-Remaining") == "4")
            #expect(response.header("X-RateLimit-Bucket") == SandboxBucket.getMember.hash)
            let resetAfterText = try #require(response.header("X-RateLimit-Reset-After"))
            let resetAfter = try #require(Double(resetAfterText))
            #expect(resetAfter > 0 && resetAfter <= 30)
            #expect(resetAfterText.split(separator: ".").last?.count == 3)
            let resetText = try #require(response.header("X-RateLimit-Reset"))
            #expect(resetText.split(separator: ".").last?.count == 3)
            let reset = try #require(Double(resetText))
            // The window opens with the request (between `before` and `after`) and lasts 30 s.
            #expect(reset >= before + 29.9 && reset <= after + 30.1, "reset \(reset), request sent at \(before)...\(after)")
            #expect(response.header("Retry-After") == nil)
            #expect(response.header("X-RateLimit-Scope") == nil)

            let second = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(2))")
            #expect(second.header("X-RateLimit-Remaining") == "3")
            // Errors on a limited route carry the headers too and consume a slot.
            let missing = try await client.api(.get, "guilds/\(g)/members/1")
            #expect(missing.status == .notFound)
            #expect(missing.header("X-RateLimit-Remaining") == "2")
        }
    }

    @Test func exceedingABucketGives429WithDiscordsBodyAndHeaders() async throws {
        // A window long enough that four requests fit in it on a busy machine, short enough to wait out.
        let rule = RateLimitRule(limit: 3, window: .seconds(5))
        try await withSandbox(fastConfiguration(routeLimits: [.modifyMember: rule])) { server, client in
            let path = "guilds/\(g)/members/\(IDs.user(1))"
            for _ in 0..<3 {
                #expect(try await client.api(.patch, path, json: #"{"nick": "a"}"#).status == .ok)
            }
            let limited = try await client.api(.patch, path, json: #"{"nick": "b"}"#)
            #expect(limited.status == .tooManyRequests)
            let body = limited.object
            #expect(body["message"] as? String == "You are being rate limited.")
            #expect(body["global"] as? Bool == false)
            let retryAfter = try #require(body["retry_after"] as? Double)
            #expect(retryAfter > 0 && retryAfter <= 5)
            #expect(Set(body.keys) == ["message", "retry_after", "global"])
            #expect(limited.header("Retry-After") == String(Int(retryAfter.rounded(.up))))  // ceil
            #expect(limited.header("X-RateLimit-Scope") == "user")
            #expect(limited.header("X-RateLimit-Global") == nil)
            #expect(limited.header("X-RateLimit-Limit") == "3")
            #expect(limited.header("X-RateLimit-Remaining") == "0")
            #expect(limited.header("X-RateLimit-Bucket") == SandboxBucket.modifyMember.hash)
            // The rejected request changed nothing.
            #expect(server.state.member(IDs.user(1))?.nick == "a")

            let stats = await server.stats()
            #expect(stats.rateLimited.total == 1)
            #expect(stats.rateLimited.user == 1)
            #expect(stats.rateLimited(.modifyMember) == 1)
            #expect(stats.invalidRequests == 1)
            #expect(stats.first429Route == SandboxRoute.modifyMember.rawValue)
            #expect(stats.first429At != nil)

            // A slot frees `window` after the first arrival.
            let admitted = await eventually(timeout: .seconds(20)) {
                (try? await client.api(.patch, path, json: #"{"nick": "c"}"#).status) == .ok
            }
            #expect(admitted)
        }
    }

    @Test func putAndDeleteMemberRoleShareOneBucket() async throws {
        let rule = RateLimitRule(limit: 3, window: .seconds(30))
        try await withSandbox(fastConfiguration(routeLimits: [.memberRole: rule])) { _, client in
            let base = "guilds/\(g)/members/\(IDs.user(1))/roles/\(IDs.member)"
            let put = try await client.api(.put, base)
            let delete = try await client.api(.delete, base)
            let otherMember = try await client.api(.put, "guilds/\(g)/members/\(IDs.user(2))/roles/\(IDs.alliance)")
            #expect(put.header("X-RateLimit-Remaining") == "2")
            #expect(delete.header("X-RateLimit-Remaining") == "1")
            #expect(otherMember.header("X-RateLimit-Remaining") == "0")
            #expect(put.header("X-RateLimit-Bucket") == delete.header("X-RateLimit-Bucket"))
            #expect(put.header("X-RateLimit-Bucket") == SandboxBucket.memberRole.hash)
            let limited = try await client.api(.delete, base)
            #expect(limited.status == .tooManyRequests)
            // Another guild (major parameter) has its own bucket: admitted, then 404 Unknown Guild.
            let otherGuild = try await client.api(.put, "guilds/123/members/\(IDs.user(1))/roles/\(IDs.member)")
            #expect(otherGuild.status == .notFound)
            #expect(otherGuild.errorCode == 10004)
            #expect(otherGuild.header("X-RateLimit-Remaining") == "2")
            // PATCH member has its own bucket.
            let patch = try await client.api(.patch, "guilds/\(g)/members/\(IDs.user(1))", json: "{}")
            #expect(patch.status == .ok)
        }
    }

    @Test func globalLimitGivesGlobal429WithoutBucketHeaders() async throws {
        let configuration = fastConfiguration(globalLimit: RateLimitRule(limit: 4, window: .seconds(30)))
        try await withSandbox(configuration) { server, client in
            for _ in 0..<4 {
                #expect(try await client.api(.get, "guilds/\(g)/roles").status == .ok)
            }
            let limited = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.object["global"] as? Bool == true)
            #expect(limited.object["message"] as? String == "You are being rate limited.")
            #expect(limited.header("X-RateLimit-Global") == "true")
            #expect(limited.header("X-RateLimit-Scope") == "global")
            let retry = try #require(limited.header("Retry-After").flatMap(Int.init))
            #expect(retry >= 1 && retry <= 30)
            for name in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket"] {
                #expect(limited.header(name) == nil)
            }
            // 401s are not limited (authentication comes first).
            #expect(try await client.api(.get, "guilds/\(g)/roles", authorization: "Bot bad").status == .unauthorized)
            let stats = await server.stats()
            #expect(stats.rateLimited.global == 1)
            #expect(stats.invalidRequests == 2)
        }
    }

    @Test func discordProfileDefaults() async throws {
        try await withSandbox(SandboxConfiguration(profile: .discordLike)) { _, client in
            let user = IDs.user(1)
            let cases: [(HTTPRequest.Method, String, String?, String)] = [
                (.get, "guilds/\(g)/members/\(user)", nil, "5"),
                (.patch, "guilds/\(g)/members/\(user)", "{}", "10"),
                (.put, "guilds/\(g)/members/\(user)/roles/\(IDs.member)", nil, "10"),
                (.get, "guilds/\(g)/members?limit=5", nil, "10"),
                (.post, "guilds/\(g)/roles", #"{"name": "x"}"#, "250"),
                (.delete, "guilds/\(g)/members/\(IDs.user(7))", nil, "5"),
            ]
            for (method, path, json, limit) in cases {
                let response = try await client.api(method, path, json: json)
                #expect(response.status.code < 300, "\(method) \(path)")
                #expect(response.header("X-RateLimit-Limit") == limit, "\(method) \(path)")
            }
            let roles = try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "y"}"#)
            let resetAfter = try #require(roles.header("X-RateLimit-Reset-After").flatMap(Double.init))
            #expect(resetAfter > 172_000)
            // Routes limited only globally carry no bucket headers.
            #expect(try await client.api(.get, "guilds/\(g)/roles").header("X-RateLimit-Limit") == nil)
            #expect(try await client.api(.get, "users/@me").header("X-RateLimit-Limit") == nil)
        }
    }

    @Test func roleCreationBudgetSpentGivesLongRetryAfter() async throws {
        let budget = RateLimitRule(limit: 2, window: .seconds(172_800))
        try await withSandbox(fastConfiguration(routeLimits: [.createRole: budget])) { _, client in
            #expect(try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "a"}"#).status == .ok)
            #expect(try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "b"}"#).status == .ok)
            let spent = try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "c"}"#)
            #expect(spent.status == .tooManyRequests)
            let retryAfter = try #require(spent.object["retry_after"] as? Double)
            #expect(retryAfter > 172_000)
            #expect(Int(spent.header("Retry-After") ?? "") ?? 0 > 172_000)
        }
    }

    @Test func unlimitedProfileSendsNoHeaders() async throws {
        try await withSandbox { _, client in
            for _ in 0..<60 {
                let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
                #expect(response.status == .ok)
                #expect(response.header("X-RateLimit-Limit") == nil)
            }
        }
    }
}

@Suite("Sliding window model (pure)")
struct SlidingWindowTests {
    @Test func admitsUpToLimitThenFreesOneSlotPerArrival() {
        var limiter = RateLimiterProbe(rule: RateLimitRule(limit: 3, window: .seconds(10)))
        #expect(limiter.request(at: 0.0) == .init(admitted: true, remaining: 2, resetAfter: 10))
        #expect(limiter.request(at: 1.0) == .init(admitted: true, remaining: 1, resetAfter: 9))
        #expect(limiter.request(at: 2.0) == .init(admitted: true, remaining: 0, resetAfter: 8))
        // Full: rejected, retry when the first arrival leaves the window.
        #expect(limiter.request(at: 5.0) == .init(admitted: false, remaining: 0, resetAfter: 5))
        // Rejections consume nothing: at 10.0 exactly one slot (the 0.0 one) is free.
        #expect(limiter.request(at: 10.0) == .init(admitted: true, remaining: 0, resetAfter: 1))
        #expect(limiter.request(at: 10.5) == .init(admitted: false, remaining: 0, resetAfter: 0.5))
        #expect(limiter.request(at: 11.0) == .init(admitted: true, remaining: 0, resetAfter: 1))
        // After a quiet period the whole window is free again.
        #expect(limiter.request(at: 30.0) == .init(admitted: true, remaining: 2, resetAfter: 10))
    }

    @Test func fixedWindowFreesEverySlotWhenItEnds() {
        var limiter = RateLimiterProbe(rule: RateLimitRule(limit: 3, window: .seconds(10), kind: .fixed))
        #expect(limiter.request(at: 0.0) == .init(admitted: true, remaining: 2, resetAfter: 10))
        #expect(limiter.request(at: 4.0) == .init(admitted: true, remaining: 1, resetAfter: 6))
        #expect(limiter.request(at: 9.0) == .init(admitted: true, remaining: 0, resetAfter: 1))
        #expect(limiter.request(at: 9.5) == .init(admitted: false, remaining: 0, resetAfter: 0.5))
        // The window opened at 0.0 ends at 10.0: all three slots free at once.
        #expect(limiter.request(at: 10.0) == .init(admitted: true, remaining: 2, resetAfter: 10))
        #expect(limiter.request(at: 10.1) == .init(admitted: true, remaining: 1, resetAfter: 9.9))
    }

    @Test func ruleJSONRoundTrips() throws {
        let rule = RateLimitRule(limit: 10, window: .milliseconds(2500), kind: .fixed)
        let decoded = try JSONDecoder().decode(RateLimitRule.self, from: JSONEncoder().encode(rule))
        #expect(decoded == rule)
        let plain = try JSONDecoder().decode(RateLimitRule.self, from: Data(#"{"limit": 5, "window_seconds": 1}"#.utf8))
        #expect(plain == RateLimitRule(limit: 5, window: .seconds(1)))
    }
}

/// Drives the internal sliding window like the engine does: peek, admit only when allowed.
struct RateLimiterProbe {
    var window: SlidingWindow

    init(rule: RateLimitRule) { window = SlidingWindow(rule: rule) }

    mutating func request(at now: Double) -> SlidingWindow.Decision {
        let decision = window.peek(now: now)
        return decision.admitted ? window.admit(now: now) : decision
    }
}
