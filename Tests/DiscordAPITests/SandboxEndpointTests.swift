import CurlHTTP
@testable import DiscordAPI
import DiscordSandbox
import Foundation
import Testing

extension IntegrationTests {
    @Suite("DiscordClient endpoints against the sandbox")
    struct SandboxEndpointTests {
        let first = Snowflake(SandboxSeed.firstUserID)
        func user(_ index: Int) -> Snowflake { Snowflake(SandboxSeed.firstUserID + UInt64(index)) }
        func role(_ index: Int) -> Snowflake { Snowflake(SandboxSeed.firstRoleID + UInt64(index)) }

        @Test func guildRolesAndBotUser() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                let guild = try await client.getGuild(guild: h.guild)
                #expect(guild.id == h.guild && guild.name == "Sandbox Guild" && guild.ownerID == first)
                let roles = try await client.getRoles(guild: h.guild)
                #expect(roles.contains { $0.id == h.guild && $0.name == "@everyone" })
                #expect(roles.contains { $0.id == Snowflake(SandboxSeed.boosterRoleID) && $0.managed })
                #expect(roles.contains { $0.name == "Member" && $0.id == role(0) })
                let bot = try await client.currentBotUser()
                #expect(bot.id == Snowflake(SandboxSeed.defaultBot.id) && bot.bot == true)
                let created = try await client.createRole(guild: h.guild, name: "New Group")
                #expect(created.name == "New Group")
                #expect(h.sandbox.state.role(created.id.rawValue)?.name == "New Group")
            }
        }

        @Test func membersReadAndPaged() async throws {
            try await Harness.with(seed: .generated(memberCount: 10)) { (h: Harness) async throws -> Void in
                let client = h.client()
                let member = try #require(try await client.getMember(guild: h.guild, user: user(3)))
                #expect(member.user?.id == user(3) && member.user?.username == "user00003")
                #expect(try await client.getMember(guild: h.guild, user: 42) == nil)
                let page = try await client.listMembers(guild: h.guild, limit: 4)
                #expect(page.count == 4)
                let all = try await client.allMembers(guild: h.guild, pageSize: 3)
                #expect(all.count == h.sandbox.state.memberCount)
                #expect(Set(all.compactMap { $0.user?.id }).count == all.count)
            }
        }

        @Test func modifyMemberRolesAndNick() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                let result = try await client.modifyMember(guild: h.guild, user: user(2), roles: [role(0), role(1)], nick: "Main Character")
                guard case .modified(let member?) = result else {
                    Issue.record("expected the member back, got \(result)")
                    return
                }
                #expect(Set(member.roles) == [role(0), role(1)] && member.nick == "Main Character")
                #expect(h.sandbox.state.member(user(2).rawValue)?.nick == "Main Character")

                _ = try await client.modifyMember(guild: h.guild, user: user(2), nick: .some(nil))
                #expect(h.sandbox.state.member(user(2).rawValue)?.nick == nil)
                #expect(Set(h.sandbox.state.member(user(2).rawValue)?.roles ?? []) == [role(0).rawValue, role(1).rawValue])

                #expect(try await client.modifyMember(guild: h.guild, user: 42, roles: []) == .notMember)

                let tooLong = await apiError { try await client.modifyMember(guild: h.guild, user: user(2), nick: String(repeating: "x", count: 33)) }
                #expect(tooLong?.code == .invalidFormBody && tooLong?.status == 400 && tooLong?.discordCode == 50035)
                #expect(tooLong?.message.contains("nick: Must be 32 or fewer") == true)
                #expect(tooLong?.route == "PATCH /guilds/:id/members/:id")
                #expect(tooLong?.isRetryable == false)
            }
        }

        @Test func roleAddRemoveAndKick() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                #expect(try await client.addMemberRole(guild: h.guild, user: user(4), role: role(2)))
                #expect(h.sandbox.state.member(user(4).rawValue)?.roles.contains(role(2).rawValue) == true)
                #expect(try await client.removeMemberRole(guild: h.guild, user: user(4), role: role(2)))
                #expect(h.sandbox.state.member(user(4).rawValue)?.roles.contains(role(2).rawValue) == false)
                #expect(try await client.addMemberRole(guild: h.guild, user: 42, role: role(2)) == false)

                #expect(try await client.removeMember(guild: h.guild, user: user(5)))
                #expect(h.sandbox.state.member(user(5).rawValue) == nil)
                #expect(try await client.removeMember(guild: h.guild, user: user(5)) == false)
            }
        }

        @Test func discordErrorsMapToCodes() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                // A role above the bot's: hierarchy → 403 50013.
                let hierarchy = await apiError { try await client.addMemberRole(guild: h.guild, user: user(1), role: Snowflake(SandboxSeed.adminRoleID)) }
                #expect(hierarchy?.code == .missingPermissions && hierarchy?.status == 403 && hierarchy?.discordCode == 50013)
                #expect(hierarchy?.route == "PUT /guilds/:id/members/:id/roles/:id")
                // The owner cannot be renamed.
                let owner = await apiError { try await client.modifyMember(guild: h.guild, user: first, nick: "x") }
                #expect(owner?.code == .missingPermissions)
                let unknownRole = await apiError { try await client.removeMemberRole(guild: h.guild, user: user(1), role: 123_456) }
                #expect(unknownRole?.code == .unknownRole && unknownRole?.discordCode == 10011)
                let unknownGuild = await apiError { try await client.getGuild(guild: 999) }
                #expect(unknownGuild?.code == .unknownGuild && unknownGuild?.discordCode == 10004)

                await h.sandbox.setFaults(SandboxFaults(membersIntent: false))
                let intent = await apiError { try await client.listMembers(guild: h.guild) }
                #expect(intent?.code == .missingAccess && intent?.discordCode == 50001)
                #expect(intent?.message.contains("GUILD_MEMBERS") == true)
                #expect(client.statistics().invalidRequests == 3)
            }
        }

        @Test func maximumRoles() async throws {
            // 247 named roles + booster + bot + admin = 250 roles besides @everyone: the guild is full.
            let names = (0..<247).map { "Role \($0)" }
            try await Harness.with(seed: .generated(memberCount: 2, roleNames: names)) { (h: Harness) async throws -> Void in
                let client = h.client()
                let full = await apiError { try await client.createRole(guild: h.guild, name: "One Too Many") }
                #expect(full?.code == .maxRoles && full?.status == 400 && full?.discordCode == 30005)
            }
        }

        @Test func serverErrorsAndHTMLAreRetryable() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                await h.sandbox.setFaults(SandboxFaults(serverErrorRate: 1, serverErrorStatuses: [502]))
                let json = await apiError { try await client.getRoles(guild: h.guild) }
                #expect(json?.code == .server && json?.status == 502 && json?.isRetryable == true)
                await h.sandbox.setFaults(SandboxFaults(serverErrorRate: 1, serverErrorStatuses: [503], serverErrorHTML: true))
                let html = await apiError { try await client.getMember(guild: h.guild, user: user(1)) }
                #expect(html?.code == .nonJSON && html?.status == 503 && html?.isRetryable == true)
                #expect(html?.message.contains("text/html") == true)
                await h.sandbox.setFaults(SandboxFaults())
                #expect(try await client.getMember(guild: h.guild, user: user(1)) != nil)
            }
        }

        @Test func hangingRequestTimesOutRetryably() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client(readTimeout: .milliseconds(400))
                await h.sandbox.setFaults(SandboxFaults(hang: SandboxHangFault(routes: [.getRoles], count: 1, maxDuration: .seconds(30))))
                let hung = await apiError { try await client.getRoles(guild: h.guild) }
                #expect(hung?.code == .timeout && hung?.isRetryable == true)
                #expect(hung?.route == "GET /guilds/:id/roles")
                // The next call is answered.
                #expect(try await client.getRoles(guild: h.guild).isEmpty == false)
            }
        }

        @Test func oauthLinkingFlow() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let client = h.client()
                let oauth = h.sandbox.configuration.oauth
                let newcomer = SandboxUser(id: 700_000_000_000_000_001, username: "newcomer")
                let code = await h.sandbox.mintOAuthCode(for: newcomer)
                let token = try await client.exchangeCode(code: code, redirectURI: oauth.redirectURI, clientID: oauth.clientID,
                                                          clientSecret: Secret(oauth.clientSecret))
                #expect(token.tokenType == "Bearer" && token.scopes.contains("guilds.join"))
                let me = try await client.currentUser(bearer: token.accessToken)
                #expect(me.id == Snowflake(newcomer.id) && me.username == "newcomer")

                let added = try await client.addMember(guild: h.guild, user: me.id, accessToken: token.accessToken, nick: "Newcomer", roles: [role(0)])
                guard case .added(let member) = added else {
                    Issue.record("expected .added, got \(added)")
                    return
                }
                #expect(member.nick == "Newcomer" && member.roles == [role(0)])
                #expect(try await client.addMember(guild: h.guild, user: me.id, accessToken: token.accessToken) == .alreadyMember)

                // The code was used: a second exchange fails; a wrong redirect names DISCORD_CALLBACK_URL.
                let reused = await apiError {
                    try await client.exchangeCode(code: code, redirectURI: oauth.redirectURI, clientID: oauth.clientID, clientSecret: Secret(oauth.clientSecret))
                }
                #expect(reused?.code == .oauthInvalidCode)
                let fresh = await h.sandbox.mintOAuthCode(for: newcomer)
                let mismatch = await apiError {
                    try await client.exchangeCode(code: fresh, redirectURI: oauth.redirectURI + "x", clientID: oauth.clientID, clientSecret: Secret(oauth.clientSecret))
                }
                #expect(mismatch?.code == .oauthRedirectMismatch)
                #expect(mismatch?.message.contains("DISCORD_CALLBACK_URL") == true)
                let badClient = await apiError {
                    try await client.exchangeCode(code: fresh, redirectURI: oauth.redirectURI, clientID: oauth.clientID, clientSecret: "wrong-secret")
                }
                #expect(badClient?.code == .oauthInvalidClient)
                #expect(badClient?.message.contains("wrong-secret") == false)

                // A bad user token is the user's problem, not the bot's: the bot keeps working.
                let badBearer = await apiError { try await client.currentUser(bearer: "not-a-token") }
                #expect(badBearer?.code == .invalidOAuthToken)
                #expect(try await client.getRoles(guild: h.guild).isEmpty == false)

                let secrets = [token.accessToken.value, token.refreshToken?.value ?? "-", oauth.clientSecret, code]
                #expect(!h.capture.lines.isEmpty)
                #expect(!h.capture.lines.contains { line in secrets.contains { line.contains($0) } })
            }
        }
    }
}
