import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Endpoints: happy paths and Discord's error bodies")
struct EndpointTests {
    let g = IDs.guild

    @Test func startsOnEphemeralPortWithURLs() async throws {
        try await withSandbox { server, client in
            #expect(server.port > 0)
            #expect(server.baseURL == "http://127.0.0.1:\(server.port)/api/v10/")
            #expect(server.oauthTokenURL == "http://127.0.0.1:\(server.port)/api/oauth2/token")
            let health = try await client.raw(.get, "/_sandbox/health")
            #expect(health.status == .ok)
            #expect(health.object["status"] as? String == "ok")
        }
    }

    @Test func getGuildWithRolesAndCounts() async throws {
        try await withSandbox { _, client in
            let response = try await client.api(.get, "guilds/\(g)?with_counts=true")
            #expect(response.status == .ok)
            let guild = response.object
            #expect(guild["id"] as? String == String(g))
            #expect(guild["owner_id"] as? String == String(IDs.owner))
            #expect(guild["approximate_member_count"] as? Int == 21)  // 20 + the bot
            let roles = try #require(guild["roles"] as? [[String: Any]])
            #expect(roles.contains { $0["id"] as? String == String(g) && $0["name"] as? String == "@everyone" })
            // No rate-limit headers on a globally-limited-only route.
            #expect(response.header("X-RateLimit-Bucket") == nil)
        }
    }

    @Test func getRolesOrderedByPositionIncludingEveryoneAndManagedBotRole() async throws {
        try await withSandbox { _, client in
            let response = try await client.api(.get, "guilds/\(g)/roles")
            #expect(response.status == .ok)
            let roles = response.array
            let positions = roles.compactMap { $0["position"] as? Int }
            #expect(positions == positions.sorted())
            #expect(roles.first?["id"] as? String == String(g))
            let botRole = try #require(roles.first { $0["id"] as? String == String(IDs.botRole) })
            #expect(botRole["managed"] as? Bool == true)
            #expect((botRole["tags"] as? [String: Any])?["bot_id"] as? String == String(IDs.bot))
            #expect(botRole["permissions"] is String)
            let booster = try #require(roles.first { $0["id"] as? String == String(IDs.booster) })
            #expect(booster["managed"] as? Bool == true)
        }
    }

    @Test func getMemberAndUnknownMember() async throws {
        try await withSandbox { _, client in
            let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(3))")
            #expect(response.status == .ok)
            let member = response.object
            let user = try #require(member["user"] as? [String: Any])
            #expect(user["id"] as? String == String(IDs.user(3)))
            #expect(user["username"] as? String == "user00003")
            #expect(user["discriminator"] as? String == "0")
            #expect(user["global_name"] as? String == "User 3")
            #expect(member["roles"] as? [String] == [])
            #expect(member["joined_at"] is String)
            #expect(member.keys.contains("nick"))

            let missing = try await client.api(.get, "guilds/\(g)/members/42")
            #expect(missing.status == .notFound)
            #expect(missing.object["message"] as? String == "Unknown Member")
            #expect(missing.errorCode == 10007)
        }
    }

    @Test func unknownGuildAndBadSnowflake() async throws {
        try await withSandbox { _, client in
            let unknown = try await client.api(.get, "guilds/123/members/\(IDs.user(1))")
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == 10004)
            let bad = try await client.api(.get, "guilds/abc/roles")
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == 50035)
        }
    }

    @Test func anyApiVersionIsAcceptedAndUnknownPathsAre404() async throws {
        try await withSandbox { _, client in
            let v9 = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))", version: "v9")
            #expect(v9.status == .ok)
            let unversioned = try await client.raw(.get, "/api/guilds/\(g)", headers: [.authorization: botAuthorization])
            #expect(unversioned.status == .notFound)
            let unknown = try await client.api(.get, "channels/1")
            #expect(unknown.status == .notFound)
            #expect(unknown.object["message"] as? String == "404: Not Found")
            #expect(unknown.errorCode == 0)
            let wrongMethod = try await client.api(.post, "guilds/\(g)/members/\(IDs.user(1))")
            #expect(wrongMethod.status == .methodNotAllowed)
        }
    }

    @Test func authorizationRules() async throws {
        try await withSandbox { _, client in
            for authorization in [nil, "Bot wrong", "sandbox-bot-token", "Bearer sandbox-bot-token"] as [String?] {
                let response = try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))", authorization: authorization)
                #expect(response.status == .unauthorized)
                #expect(response.object["message"] as? String == "401: Unauthorized")
                #expect(response.errorCode == 0)
            }
        }
    }

    @Test func listMembersPaginatesByUserID() async throws {
        try await withSandbox { _, client in
            // Default limit is 1.
            let first = try await client.api(.get, "guilds/\(g)/members")
            #expect(first.status == .ok)
            #expect(first.array.count == 1)

            var seen: [String] = []
            var after = "0"
            for _ in 0..<10 {
                let page = try await client.api(.get, "guilds/\(g)/members?limit=7&after=\(after)")
                #expect(page.status == .ok)
                let ids = page.array.compactMap { ($0["user"] as? [String: Any])?["id"] as? String }
                seen += ids
                if ids.count < 7 { break }
                after = try #require(ids.last)
            }
            #expect(seen.count == 21)
            #expect(Set(seen).count == 21)
            #expect(seen.compactMap(UInt64.init) == seen.compactMap(UInt64.init).sorted())
            #expect(seen.contains(String(IDs.bot)))

            for bad in ["0", "1001", "x"] {
                let response = try await client.api(.get, "guilds/\(g)/members?limit=\(bad)")
                #expect(response.status == .badRequest)
                #expect(response.errorCode == 50035)
            }
            let thousand = try await client.api(.get, "guilds/\(g)/members?limit=1000")
            #expect(thousand.array.count == 21)
        }
    }

    @Test func listMembersWithoutIntentIsMissingAccess() async throws {
        try await withSandbox(fastConfiguration(membersIntent: false)) { server, client in
            let response = try await client.api(.get, "guilds/\(g)/members?limit=10")
            #expect(response.status == .forbidden)
            #expect(response.object["message"] as? String == "Missing Access")
            #expect(response.errorCode == 50001)
            // Get Guild Member needs no intent.
            #expect(try await client.api(.get, "guilds/\(g)/members/\(IDs.user(1))").status == .ok)
            // Turned on at runtime.
            await server.setFaults(SandboxFaults(membersIntent: true))
            #expect(try await client.api(.get, "guilds/\(g)/members?limit=10").status == .ok)
        }
    }

    @Test func modifyMemberReplacesRolesAndSetsNick() async throws {
        try await withSandbox { server, client in
            let user = IDs.user(5)
            let response = try await client.api(
                .patch, "guilds/\(g)/members/\(user)",
                json: #"{"roles": ["\#(IDs.member)", \#(IDs.alliance)], "nick": "  Pilot Five "}"#)
            #expect(response.status == .ok)
            #expect(response.object["nick"] as? String == "Pilot Five")
            #expect(response.object["roles"] as? [String] == [String(IDs.member), String(IDs.alliance)])
            #expect(server.state.member(user)?.roles == [IDs.member, IDs.alliance])

            // Replaces the whole set; @everyone is never stored.
            let replaced = try await client.api(
                .patch, "guilds/\(g)/members/\(user)", json: #"{"roles": ["\#(IDs.corporation)", "\#(g)"]}"#)
            #expect(replaced.status == .ok)
            #expect(server.state.member(user)?.roles == [IDs.corporation])
            #expect(server.state.member(user)?.nick == "Pilot Five")

            // null / "" clears the nick.
            let cleared = try await client.api(.patch, "guilds/\(g)/members/\(user)", json: #"{"nick": ""}"#)
            #expect(cleared.status == .ok)
            #expect(cleared.object["nick"] is NSNull)
            #expect(server.state.member(user)?.nick == nil)
        }
    }

    @Test func modifyMemberValidation() async throws {
        try await withSandbox { _, client in
            let path = "guilds/\(g)/members/\(IDs.user(2))"
            let long = String(repeating: "x", count: 33)
            let tooLong = try await client.api(.patch, path, json: #"{"nick": "\#(long)"}"#)
            #expect(tooLong.status == .badRequest)
            #expect(tooLong.errorCode == 50035)
            #expect(tooLong.object["message"] as? String == "Invalid Form Body")
            let nickErrors = ((tooLong.object["errors"] as? [String: Any])?["nick"] as? [String: Any])?["_errors"] as? [[String: Any]]
            #expect(nickErrors?.first?["code"] as? String == "BASE_TYPE_MAX_LENGTH")
            // 32 code points are fine, even multi-byte ones.
            let exact = try await client.api(.patch, path, json: #"{"nick": "\#(String(repeating: "é", count: 32))"}"#)
            #expect(exact.status == .ok)

            let duplicate = try await client.api(.patch, path, json: #"{"roles": ["\#(IDs.member)", "\#(IDs.member)"]}"#)
            #expect(duplicate.status == .badRequest)
            #expect(duplicate.errorCode == 50035)

            let noContentType = try await client.api(.patch, path, json: #"{"nick": "a"}"#, contentType: "text/plain")
            #expect(noContentType.status == .badRequest)
            #expect(noContentType.errorCode == 50035)

            let broken = try await client.api(.patch, path, json: #"{"nick": "#)
            #expect(broken.status == .badRequest)
            #expect(broken.errorCode == 50109)

            let unknownRole = try await client.api(.patch, path, json: #"{"roles": ["12345"]}"#)
            #expect(unknownRole.status == .badRequest)
            #expect(unknownRole.errorCode == 50035)

            let unknownMember = try await client.api(.patch, "guilds/\(g)/members/77", json: #"{"nick": "a"}"#)
            #expect(unknownMember.status == .notFound)
            #expect(unknownMember.errorCode == 10007)
        }
    }

    @Test func memberRoleAddAndRemove() async throws {
        try await withSandbox { server, client in
            let user = IDs.user(4)
            let add = try await client.api(.put, "guilds/\(g)/members/\(user)/roles/\(IDs.alliance)")
            #expect(add.status == .noContent)
            #expect(add.body == nil || add.body?.readableBytes == 0)
            #expect(server.state.member(user)?.roles == [IDs.alliance])
            // Idempotent.
            #expect(try await client.api(.put, "guilds/\(g)/members/\(user)/roles/\(IDs.alliance)").status == .noContent)
            #expect(server.state.member(user)?.roles == [IDs.alliance])

            let remove = try await client.api(.delete, "guilds/\(g)/members/\(user)/roles/\(IDs.alliance)")
            #expect(remove.status == .noContent)
            #expect(server.state.member(user)?.roles == [])
            // 204 even when the member did not have it.
            #expect(try await client.api(.delete, "guilds/\(g)/members/\(user)/roles/\(IDs.alliance)").status == .noContent)

            let unknownRole = try await client.api(.put, "guilds/\(g)/members/\(user)/roles/999")
            #expect(unknownRole.status == .notFound)
            #expect(unknownRole.errorCode == 10011)
            let everyone = try await client.api(.delete, "guilds/\(g)/members/\(user)/roles/\(g)")
            #expect(everyone.status == .notFound)
            #expect(everyone.errorCode == 10011)
            let unknownMember = try await client.api(.put, "guilds/\(g)/members/9/roles/\(IDs.alliance)")
            #expect(unknownMember.status == .notFound)
            #expect(unknownMember.errorCode == 10007)
        }
    }

    @Test func kickMember() async throws {
        try await withSandbox { server, client in
            let user = IDs.user(6)
            let kick = try await client.api(.delete, "guilds/\(g)/members/\(user)")
            #expect(kick.status == .noContent)
            #expect(server.state.member(user) == nil)
            let again = try await client.api(.delete, "guilds/\(g)/members/\(user)")
            #expect(again.status == .notFound)
            #expect(again.errorCode == 10007)
        }
    }

    @Test func createRoleAtBottomAndShiftsOthers() async throws {
        try await withSandbox { server, client in
            let before = server.state.botTopPosition
            let response = try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "Fleet Commander", "permissions": "0", "mentionable": false}"#)
            #expect(response.status == .ok)
            let role = response.object
            #expect(role["name"] as? String == "Fleet Commander")
            #expect(role["position"] as? Int == 1)
            #expect(role["managed"] as? Bool == false)
            let id = try #require((role["id"] as? String).flatMap(UInt64.init))
            #expect(server.state.role(id)?.name == "Fleet Commander")
            #expect(server.state.botTopPosition == before + 1)
            // The new role is below the bot: assignable.
            #expect(try await client.api(.put, "guilds/\(g)/members/\(IDs.user(1))/roles/\(id)").status == .noContent)
            // Duplicate names are allowed.
            #expect(try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "Fleet Commander"}"#).status == .ok)
            // Default name, no body.
            let unnamed = try await client.api(.post, "guilds/\(g)/roles")
            #expect(unnamed.object["name"] as? String == "new role")
            let long = try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "\#(String(repeating: "r", count: 101))"}"#)
            #expect(long.status == .badRequest)
            #expect(long.errorCode == 50035)
        }
    }

    @Test func createRoleFailsAt250Roles() async throws {
        var seed = SandboxSeed.generated(memberCount: 1)
        // 6 roles besides @everyone already (3 + booster + bot + admin); fill up to 250.
        for index in 0..<244 {
            seed.roles.append(SandboxRole(id: 600_000_000_000_000_000 + UInt64(index), name: "filler \(index)", position: 1))
        }
        try await withSandbox(seed: seed) { _, client in
            let full = try await client.api(.post, "guilds/\(g)/roles", json: #"{"name": "one too many"}"#)
            #expect(full.status == .badRequest)
            #expect(full.errorCode == 30005)
            #expect(full.object["message"] as? String == "Maximum number of server roles reached (250)")
        }
    }

    @Test func currentUserWithBotToken() async throws {
        try await withSandbox { _, client in
            let response = try await client.api(.get, "users/@me")
            #expect(response.status == .ok)
            #expect(try await client.api(.get, "users/%40me").status == .ok)
            #expect(response.object["id"] as? String == String(IDs.bot))
            #expect(response.object["bot"] as? Bool == true)
        }
    }
}
