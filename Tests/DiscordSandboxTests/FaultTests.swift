import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Fault injection: 5xx, hangs, forced 429s, revoked token")
struct FaultTests {
    let g = IDs.guild

    @Test func serverErrorsAtFullRateAsJSONAndHTML() async throws {
        try await withSandbox(fastConfiguration(faults: SandboxFaults(serverErrorRate: 1))) { server, client in
            for _ in 0..<6 {
                let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
                #expect([500, 502].contains(response.status.code))
                #expect(response.headers[.contentType] == "application/json")
                #expect(response.errorCode == 0)
            }
            await server.setFaults(SandboxFaults(serverErrorRate: 1, serverErrorStatuses: [502], serverErrorHTML: true))
            let html = try await client.api(.get, "guilds/\(g)/roles")
            #expect(html.status.code == 502)
            #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(html.text.contains("<html>"))
            #expect(html.text.contains("Cloudflare") || html.text.contains("cloudflare"))
            let stats = await server.stats()
            #expect(stats.injectedServerErrors == 7)
            #expect(stats.status(500) + stats.status(502) == 7)
        }
    }

    @Test func serverErrorRateIsAFraction() async throws {
        try await withSandbox(fastConfiguration(faults: SandboxFaults(serverErrorRate: 0.3))) { server, client in
            var errors = 0
            for _ in 0..<200 {
                let response = try await client.api(.get, "guilds/\(g)/roles")
                if response.status.code >= 500 { errors += 1 } else { #expect(response.status == .ok) }
            }
            // Seeded generator: reproducible, and roughly 30 %.
            #expect(errors > 20 && errors < 100)
            #expect(await server.stats().injectedServerErrors == errors)
        }
    }

    @Test func hangingRequestsNeverAnswerUntilTheClientGivesUp() async throws {
        let hang = SandboxHangFault(routes: [.getMember], count: 1, maxDuration: .seconds(60))
        try await withSandbox(fastConfiguration(faults: SandboxFaults(hang: hang))) { server, client in
            // The client gives up once the server holds its request (closes its connection); the request
            // is never answered.
            let impatient = TestClient(host: "127.0.0.1", port: server.port)
            impatient.connect()
            let request = Task { (try? await impatient.api(.get, "guilds/\(g)/members/\(IDs.user(1))")) != nil }
            #expect(await eventually(timeout: .seconds(30)) { await server.stats().hungRequests == 1 })
            try? await impatient.shutdown()
            #expect(await request.value == false)
            #expect(await server.stats().hungRequests == 1)
            // Only one request was to hang; other routes are unaffected.
            let member = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(member.status == .ok)
            let roles = try await client.api(.get, "guilds/\(g)/roles")
            #expect(roles.status == .ok)
            #expect(await server.faults().hang?.count == 0)
        }
    }

    @Test func shutdownEndsHungRequests() async throws {
        let hang = SandboxHangFault(maxDuration: .seconds(120))
        let server = try await SandboxServer.start(configuration: fastConfiguration(faults: SandboxFaults(hang: hang)))
        let client = TestClient(host: "127.0.0.1", port: server.port, configuration: .init(timeout: .seconds(30)))
        client.connect()
        let request = Task { try? await client.api(.get, "guilds/\(IDs.guild)/roles") }
        #expect(await eventually { await server.stats().inFlight == 1 })
        let started = ContinuousClock.now
        await server.shutdown()
        _ = await request.value
        try? await client.shutdown()
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func forcedRateLimitsOnARouteThenTheBucketRefusesUntilRetryAfter() async throws {
        let forced = SandboxForcedRateLimit(route: .modifyMember, count: 2, retryAfter: .milliseconds(1500))
        try await withSandbox(fastConfiguration(routeLimits: [.modifyMember: RateLimitRule(limit: 100, window: .seconds(10))])) { server, client in
            await server.setFaults(SandboxFaults(forcedRateLimits: [forced]))
            let path = "guilds/\(g)/members/\(IDs.user(1))"
            // Other routes are unaffected.
            #expect(try await client.api(.get, "guilds/\(g)/roles").status == .ok)
            for _ in 0..<2 {
                let response = try await client.api(.patch, path, json: "{}")
                #expect(response.status == .tooManyRequests)
                #expect(response.object["retry_after"] as? Double == 1.5)
                #expect(response.header("X-RateLimit-Scope") == "user")
                #expect(response.header("X-RateLimit-Remaining") == "0")
                #expect(response.header("Retry-After") == "2")
            }
            // Blocked until retry_after passes, then admitted.
            let blocked = try await client.api(.patch, path, json: "{}")
            #expect(blocked.status == .tooManyRequests)
            #expect((blocked.object["retry_after"] as? Double ?? 9) <= 1.5)
            #expect(await eventually { (try? await client.api(.patch, path, json: "{}").status) == .ok })
            #expect(await server.faults().forcedRateLimits.first?.count == 0)
        }
    }

    @Test func forcedGlobalAndShared429s() async throws {
        try await withSandbox { server, client in
            await server.setFaults(SandboxFaults(forcedRateLimits: [
                SandboxForcedRateLimit(route: .getRoles, count: 1, retryAfter: .seconds(2), scope: .shared),
                SandboxForcedRateLimit(route: .getGuild, count: 1, retryAfter: .seconds(2), scope: .global),
            ]))
            let shared = try await client.api(.get, "guilds/\(g)/roles")
            #expect(shared.status == .tooManyRequests)
            #expect(shared.object["message"] as? String == "The resource is being rate limited.")
            #expect(shared.header("X-RateLimit-Scope") == "shared")
            #expect(shared.object["global"] as? Bool == false)

            let global = try await client.api(.get, "guilds/\(g)")
            #expect(global.status == .tooManyRequests)
            #expect(global.object["global"] as? Bool == true)
            #expect(global.header("X-RateLimit-Global") == "true")
            #expect(global.header("X-RateLimit-Scope") == "global")
            // A global block holds every route.
            let other = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(other.status == .tooManyRequests)
            #expect(other.header("X-RateLimit-Global") == "true")
            #expect(await eventually { (try? await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))").status) == .ok })

            let stats = await server.stats()
            #expect(stats.rateLimited.shared == 1)
            #expect(stats.rateLimited.global >= 2)
            // Shared-scope 429s are not invalid requests.
            #expect(stats.invalidRequests == stats.rateLimited.total - 1)
        }
    }

    @Test func revokedTokenAnswers401Everywhere() async throws {
        try await withSandbox { server, client in
            #expect(try await client.api(.get, "guilds/\(g)/roles").status == .ok)
            await server.setFaults(SandboxFaults(tokenRevoked: true))
            for path in ["guilds/\(g)/roles", "guilds/\(g)/members/\(IDs.user(1))", "users/@me"] {
                let response = try await client.api(.get, path)
                #expect(response.status == .unauthorized)
                #expect(response.object["message"] as? String == "401: Unauthorized")
            }
        }
    }

    @Test func faultsOverTheAdminEndpoint() async throws {
        try await withSandbox { server, client in
            let set = try await client.raw(
                .post, "/_sandbox/faults", headers: [.contentType: "application/json"],
                body: #"{"members_intent": false, "forced_rate_limits": [{"route": "GET /guilds/{g}/roles", "count": 1, "retry_after": 0.5}], "hang": {"routes": ["GET /users/@me"], "count": 0, "max_seconds": 5}}"#)
            #expect(set.status == .ok)
            let faults = await server.faults()
            #expect(faults.membersIntent == false)
            #expect(faults.forcedRateLimits == [SandboxForcedRateLimit(route: .getRoles, count: 1, retryAfter: .milliseconds(500))])
            #expect(faults.hang?.routes == [.getCurrentUser])
            #expect(try await client.api(.get, "guilds/\(g)/members?limit=5").errorCode == 50001)
            #expect(try await client.api(.get, "guilds/\(g)/roles").status == .tooManyRequests)

            let read = try await client.raw(.get, "/_sandbox/faults")
            #expect(read.object["members_intent"] as? Bool == false)

            let bad = try await client.raw(.post, "/_sandbox/faults", body: "nope")
            #expect(bad.status == .badRequest)
        }
    }

    @Test func tooManyInvalidRequestsGetTheClientBlocked() async throws {
        var configuration = fastConfiguration()
        configuration.invalidRequestBan = SandboxInvalidRequestBan(threshold: 3, window: .seconds(60), duration: .seconds(60))
        try await withSandbox(configuration) { server, client in
            let ok = try await client.api(.get, "guilds/\(g)/roles")
            #expect(ok.header("Via") == "1.1 google")
            for _ in 0..<3 {
                #expect(try await client.api(.get, "guilds/\(g)/roles", authorization: "Bot wrong").status == .unauthorized)
            }
            // Now even valid requests are refused, without rate-limit headers or Via.
            let blocked = try await client.api(.get, "guilds/\(g)/roles")
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.errorCode == 0)
            #expect((blocked.object["message"] as? String)?.hasPrefix("You are being blocked from accessing our API temporarily") == true)
            #expect(blocked.header("Via") == nil)
            #expect(blocked.header("X-RateLimit-Scope") == nil)
            #expect(blocked.header("X-RateLimit-Limit") == nil)
            let stats = await server.stats()
            #expect(stats.rateLimited.banned == 1)
            #expect(stats.bannedAt != nil)
            #expect(stats.invalidRequests == 4)

            #expect(try await client.raw(.post, "/_sandbox/limits/reset").status == .noContent)
            #expect(try await client.api(.get, "guilds/\(g)/roles").status == .ok)

            await server.setFaults(SandboxFaults(banned: true))
            #expect(try await client.api(.get, "users/@me").status == .tooManyRequests)
        }
    }
}
