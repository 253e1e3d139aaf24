import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Stats, admin state endpoints, seeds")
struct StatsAndStateTests {
    let g = IDs.guild

    @Test func statsCountRoutesStatusesAndInvalidRequests() async throws {
        let configuration = fastConfiguration(routeLimits: [.getMember: RateLimitRule(limit: 2, window: .seconds(30))])
        try await withSandbox(configuration) { server, client in
            _ = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")  // 200
            _ = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(2))")  // 200
            _ = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(3))")  // 429
            _ = try await client.api(.patch, "guilds/\(g)/members/\(IDs.owner)", json: #"{"nick": "x"}"#)  // 403
            _ = try await client.api(.get, "guilds/\(g)/roles", authorization: "Bot nope")  // 401
            _ = try await client.api(.delete, "guilds/\(g)/members/42")  // 404
            _ = try await client.api(.get, "nothing/here")  // 404 OTHER
            _ = try await client.raw(.get, "/_sandbox/health")  // not counted

            let stats = await server.stats()
            #expect(stats.totalRequests == 7)
            #expect(stats.requests(.getMember) == 3)
            #expect(stats.requests(.modifyMember) == 1)
            #expect(stats.requests(.getRoles) == 1)
            #expect(stats.requests(.kickMember) == 1)
            #expect(stats.requestsPerRoute["OTHER"] == 1)
            #expect(stats.status(200) == 2)
            #expect(stats.status(429) == 1)
            #expect(stats.status(403) == 1)
            #expect(stats.status(401) == 1)
            #expect(stats.status(404) == 2)
            #expect(stats.invalidRequests == 3)
            #expect(stats.rateLimited(.getMember) == 1)
            #expect(stats.inFlight == 0)
            #expect(stats.peakConcurrency >= 1)

            // The same over HTTP.
            let http = try await client.raw(.get, "/_sandbox/stats")
            #expect(http.object["totalRequests"] as? Int == 7)
            #expect((http.object["requestsPerRoute"] as? [String: Int])?["GET /guilds/{g}/members/{u}"] == 3)
            #expect((http.object["rateLimited"] as? [String: Any])?["total"] as? Int == 1)
            #expect(http.object["invalidRequests"] as? Int == 3)
            #expect(http.object["first429At"] is Double)

            #expect(try await client.raw(.post, "/_sandbox/stats/reset").status == .noContent)
            let reset = await server.stats()
            #expect(reset.totalRequests == 0)
            #expect(reset.first429At == nil)
        }
    }

    @Test func requestLogRecordsRoutesStatusesAndUserAgents() async throws {
        var configuration = fastConfiguration()
        configuration.requestLogLimit = 100
        try await withSandbox(configuration) { server, client in
            _ = try await client.execute(TestClient.Request(
                "/api/v10/guilds/\(IDs.guild)/members/\(IDs.user(1))", method: .get,
                headers: [.authorization: botAuthorization, .userAgent: "DiscordBot (https://example.invalid, 1.0)"]))
            _ = try await client.api(.delete, "guilds/\(IDs.guild)/members/42")
            let log = await server.requestLog()
            #expect(log.map(\.route) == [.getMember, .kickMember])
            #expect(log.map(\.status) == [200, 404])
            #expect(log.first?.userAgent == "DiscordBot (https://example.invalid, 1.0)")
            #expect(log[0].seconds <= log[1].seconds)
            let http = try await client.raw(.get, "/_sandbox/requests")
            #expect(http.array.count == 2)
            await server.resetStats()
            #expect(await server.requestLog().isEmpty)
        }
    }

    @Test func peakConcurrencyCountsRequestsHeldByLatency() async throws {
        var configuration = fastConfiguration()
        configuration.latency = .milliseconds(1500)
        let server = try await SandboxServer.start(configuration: configuration)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 1...4 {
                group.addTask {
                    try await TestClient.withClient(host: "127.0.0.1", port: server.port) { client in
                        try await client.api(.get, "guilds/\(IDs.guild)/members/\(IDs.user(index))").status.code
                    }
                }
            }
            #expect(await eventually { await server.stats().inFlight == 4 })
            for try await status in group { #expect(status == 200) }
        }
        let stats = await server.stats()
        #expect(stats.peakConcurrency == 4)
        #expect(stats.inFlight == 0)
        await server.shutdown()
    }

    @Test func stateRoundTripsThroughAdminEndpoints() async throws {
        try await withSandbox { server, client in
            let state = try await client.raw(.get, "/_sandbox/state")
            #expect(state.status == .ok)
            let seed = try JSONDecoder().decode(SandboxSeed.self, from: Data(state.body!.readableBytesView))
            #expect(seed.members.count == 21)
            #expect(seed.ownerID == IDs.owner)
            #expect(seed.botRolePosition == server.state.botTopPosition)

            // Replace with a smaller guild.
            var smaller = SandboxSeed.generated(memberCount: 3, roleNames: ["Only"])
            smaller.members[1].nick = "Nick One"
            let body = String(decoding: try JSONEncoder().encode(smaller), as: UTF8.self)
            let put = try await client.raw(.put, "/_sandbox/state", headers: [.contentType: "application/json"], body: body)
            #expect(put.status == .ok)
            #expect(server.state.memberCount == 4)
            #expect(server.state.member(IDs.user(1))?.nick == "Nick One")
            #expect(server.state.role(named: "Only")?.position == 1)
            let member = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(member.object["nick"] as? String == "Nick One")
            let gone = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(10))")
            #expect(gone.errorCode == 10007)

            // The snapshot round-trips unchanged.
            let snapshot = server.state.snapshot
            server.state.replace(with: snapshot)
            #expect(server.state.snapshot == snapshot)

            let admin = try await client.raw(.get, "/_sandbox/members/\(IDs.user(1))")
            #expect((admin.object["user"] as? [String: Any])?["username"] as? String == "user00001")
        }
    }

    @Test func generatedSeedIsDeterministicAndScalesTo10000Members() async throws {
        let seed = SandboxSeed.generated(memberCount: 10_000, roleAssignment: { [$0 % 3] })
        #expect(seed == SandboxSeed.generated(memberCount: 10_000, roleAssignment: { [$0 % 3] }))
        #expect(seed.members[42].user.id == SandboxSeed.firstUserID + 42)
        #expect(seed.members[42].user.username == "user00042")
        #expect(seed.members[42].roles == [SandboxSeed.firstRoleID])  // 42 % 3 == 0 → "Member"
        #expect(seed.roleID(named: "Alliance") == SandboxSeed.firstRoleID + 1)

        try await withSandbox(fastConfiguration(), seed: seed) { server, client in
            #expect(server.state.memberCount == 10_001)
            var total = 0
            var after = "0"
            for _ in 0..<20 {
                let page = try await client.api(.get, "guilds/\(IDs.guild)/members?limit=1000&after=\(after)")
                let ids = page.array.compactMap { ($0["user"] as? [String: Any])?["id"] as? String }
                total += ids.count
                guard ids.count == 1000, let last = ids.last else { break }
                after = last
            }
            #expect(total == 10_001)
        }
    }

    @Test func seedDecodesFromDiscordShapedJSON() throws {
        let json = """
            {"guild_name": "Test", "owner_id": "1", "bot_role_position": 3,
             "bot": {"id": 2, "username": "Bot", "discriminator": "0001", "bot": true},
             "roles": [{"id": "10", "name": "A", "position": 1, "permissions": "0"},
                       {"id": "11", "name": "Boost", "position": 2, "managed": true, "tags": {"premium_subscriber": null}}],
             "members": [{"user": {"id": "1", "username": "owner"}, "roles": ["10", 11]}]}
            """
        let seed = try JSONDecoder().decode(SandboxSeed.self, from: Data(json.utf8))
        #expect(seed.ownerID == 1)
        #expect(seed.bot.id == 2)
        #expect(seed.roles[1].managed)
        #expect(seed.roles[1].premiumSubscriber)
        #expect(seed.members[0].roles == [10, 11])
        #expect(seed.members[0].user.discriminator == "0")
    }

    @Test func bindFailureIsReported() async throws {
        let first = try await SandboxServer.start(configuration: fastConfiguration())
        var configuration = fastConfiguration()
        configuration.port = first.port
        await #expect(throws: SandboxError.self) {
            let second = try await SandboxServer.start(configuration: configuration)
            await second.shutdown()
        }
        await first.shutdown()
    }
}
