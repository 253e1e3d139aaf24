import CurlHTTP
import PythonCompat

extension DiscordClient {
    // MARK: Members

    /// `GET /guilds/{g}/members/{u}`; nil when the user is not a member (404 + 10007).
    public func getMember(guild: Snowflake, user: Snowflake) async throws(DiscordAPIError) -> GuildMember? {
        let route = DiscordRoute.getMember(guild, user)
        let response = try await perform(Call(route: route))
        switch response.status {
        case 200...299: return try decode(GuildMember.self, response, route: route)
        default:
            let error = failure(response, route: route)
            if error.code == .notAMember { return nil }
            throw error
        }
    }

    /// `GET /guilds/{g}/members?limit=&after=`: one page, ordered by user id. Needs the
    /// GUILD_MEMBERS privileged intent (else `.missingAccess`).
    public func listMembers(guild: Snowflake, limit: Int = 1000, after: Snowflake? = nil) async throws(DiscordAPIError) -> [GuildMember] {
        let route = DiscordRoute.listMembers(guild)
        var call = Call(route: route)
        call.query = [("limit", String(min(max(limit, 1), 1000)))]
        if let after { call.query.append(("after", after.description)) }
        let response = try await perform(call)
        guard (200...299).contains(response.status) else { throw failure(response, route: route) }
        return try decode([GuildMember].self, response, route: route)
    }

    /// Every member, paging by the highest user id of the previous page until a short page.
    public func allMembers(guild: Snowflake, pageSize: Int = 1000) async throws(DiscordAPIError) -> [GuildMember] {
        let size = min(max(pageSize, 1), 1000)
        var members: [GuildMember] = []
        var after: Snowflake? = nil
        // Bounded: each page must advance `after`; 10 million members at most.
        for _ in 0..<(10_000_000 / size + 1) {
            let page = try await listMembers(guild: guild, limit: size, after: after)
            members += page
            guard page.count >= size, let highest = page.compactMap({ $0.user?.id }).max() else { break }
            if let after, highest <= after { break }
            after = highest
        }
        return members
    }

    /// `PUT /guilds/{g}/members/{u}` with the user's OAuth2 token (scope `guilds.join`).
    /// 201 → `.added(member)`; 204 → `.alreadyMember` (Discord changed nothing then).
    public func addMember(guild: Snowflake, user: Snowflake, accessToken: Secret, nick: String? = nil,
                          roles: [Snowflake]? = nil) async throws(DiscordAPIError) -> AddMemberResult {
        let route = DiscordRoute.addMember(guild, user)
        var fields: JSONObject = ["access_token": .string(accessToken.value)]
        if let nick { fields["nick"] = .string(nick) }
        if let roles { fields["roles"] = .array(roles.map { .string($0.description) }) }
        var call = Call(route: route, body: fields.serialized(.compact), contentType: "application/json")
        call.auditLog = false
        let response = try await perform(call)
        switch response.status {
        case 204: return .alreadyMember
        case 200...299:
            return .added(try decode(GuildMember.self, response, route: route))
        default: throw failure(response, route: route)
        }
    }

    /// `PATCH /guilds/{g}/members/{u}`: `roles` replaces the member's whole role set (managed roles
    /// must be included); `nick: .some(nil)` clears the nickname, `nil` leaves it alone.
    /// 200 with the member or 204 are both success; 404 + 10007 → `.notMember`.
    public func modifyMember(guild: Snowflake, user: Snowflake, roles: [Snowflake]? = nil,
                             nick: String?? = nil) async throws(DiscordAPIError) -> ModifyResult {
        let route = DiscordRoute.modifyMember(guild, user)
        var fields: JSONObject = [:]
        if let roles { fields["roles"] = .array(roles.map { .string($0.description) }) }
        if let nick { fields["nick"] = nick.map(JSONValue.string) ?? .null }
        guard !fields.isEmpty else {
            throw DiscordAPIError(.invalidRequest, route: route.name, message: "modifyMember needs roles or nick")
        }
        var call = Call(route: route, body: fields.serialized(.compact), contentType: "application/json")
        call.auditLog = true
        let response = try await perform(call)
        switch response.status {
        case 200...299:
            if response.body.isEmpty { return .modified(nil) }
            return .modified(try? decode(GuildMember.self, response, route: route))
        default:
            let error = failure(response, route: route)
            if error.code == .notAMember { return .notMember }
            throw error
        }
    }

    /// `DELETE /guilds/{g}/members/{u}` (kick). false when the user was not a member.
    @discardableResult
    public func removeMember(guild: Snowflake, user: Snowflake) async throws(DiscordAPIError) -> Bool {
        try await memberAction(DiscordRoute.removeMember(guild, user))
    }

    /// `PUT /guilds/{g}/members/{u}/roles/{r}`. false when the user is not a member.
    @discardableResult
    public func addMemberRole(guild: Snowflake, user: Snowflake, role: Snowflake) async throws(DiscordAPIError) -> Bool {
        try await memberAction(DiscordRoute.addMemberRole(guild, user, role))
    }

    /// `DELETE /guilds/{g}/members/{u}/roles/{r}` (204 also when the member lacked the role).
    /// false when the user is not a member.
    @discardableResult
    public func removeMemberRole(guild: Snowflake, user: Snowflake, role: Snowflake) async throws(DiscordAPIError) -> Bool {
        try await memberAction(DiscordRoute.removeMemberRole(guild, user, role))
    }

    private func memberAction(_ route: DiscordRoute) async throws(DiscordAPIError) -> Bool {
        var call = Call(route: route)
        call.auditLog = true
        let response = try await perform(call)
        if (200...299).contains(response.status) { return true }
        let error = failure(response, route: route)
        if error.code == .notAMember { return false }
        throw error
    }

    // MARK: Roles and guild

    /// `GET /guilds/{g}/roles` (includes @everyone, whose id is the guild id).
    public func getRoles(guild: Snowflake) async throws(DiscordAPIError) -> [GuildRole] {
        let route = DiscordRoute.getRoles(guild)
        let response = try await perform(Call(route: route))
        guard (200...299).contains(response.status) else { throw failure(response, route: route) }
        return try decode([GuildRole].self, response, route: route)
    }

    /// `POST /guilds/{g}/roles` with a name (Discord allows duplicate names: look first).
    public func createRole(guild: Snowflake, name: String) async throws(DiscordAPIError) -> GuildRole {
        let route = DiscordRoute.createRole(guild)
        var call = Call(route: route, body: JSONObject([("name", .string(name))]).serialized(.compact), contentType: "application/json")
        call.auditLog = true
        let response = try await perform(call)
        guard (200...299).contains(response.status) else { throw failure(response, route: route) }
        return try decode(GuildRole.self, response, route: route)
    }

    /// `GET /guilds/{g}`.
    public func getGuild(guild: Snowflake) async throws(DiscordAPIError) -> Guild {
        let route = DiscordRoute.getGuild(guild)
        let response = try await perform(Call(route: route))
        guard (200...299).contains(response.status) else { throw failure(response, route: route) }
        return try decode(Guild.self, response, route: route)
    }

    // MARK: Users and OAuth2

    /// `GET /users/@me` with the bot token.
    public func currentBotUser() async throws(DiscordAPIError) -> DiscordUser {
        let route = DiscordRoute.currentUser
        let response = try await perform(Call(route: route))
        guard (200...299).contains(response.status) else { throw failure(response, route: route) }
        return try decode(DiscordUser.self, response, route: route)
    }

    /// `GET /users/@me` with a user's OAuth2 access token (scope `identify`). A rejected token is
    /// `.invalidOAuthToken` and does not affect the bot token.
    public func currentUser(bearer: Secret) async throws(DiscordAPIError) -> DiscordUser {
        let route = DiscordRoute.currentUser
        let response = try await perform(Call(route: route, authorization: .bearer(bearer)))
        guard (200...299).contains(response.status) else { throw failure(response, route: route, bearer: true) }
        return try decode(DiscordUser.self, response, route: route)
    }

    /// Exchanges an authorization code at `options.oauthTokenURL` (form-encoded, HTTP Basic client
    /// authentication). `redirectURI` must equal the one used to authorize (DISCORD_CALLBACK_URL).
    public func exchangeCode(code: String, redirectURI: String, clientID: String, clientSecret: Secret) async throws(DiscordAPIError) -> OAuthToken {
        let route = DiscordRoute.oauthToken
        let body = PercentEncoding.form([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
        ])
        var call = Call(route: route, body: body, contentType: "application/x-www-form-urlencoded",
                        authorization: .basic(user: clientID, password: clientSecret))
        call.absoluteURL = options.oauthTokenURL
        let response = try await perform(call)
        guard (200...299).contains(response.status) else {
            throw oauthFailure(response, route: route)
        }
        return try decode(OAuthToken.self, response, route: route)
    }

    func oauthFailure(_ response: HTTPResponse, route: DiscordRoute) -> DiscordAPIError {
        guard let body = ErrorBody(response.body), body.oauthError != nil || body.oauthDescription != nil else {
            if response.status == 401 {
                return DiscordAPIError(.oauthInvalidClient, route: route.name, status: 401,
                                       message: "the OAuth2 token endpoint rejected the client credentials: check DISCORD_APP_ID and DISCORD_APP_SECRET")
            }
            return failure(response, route: route, bearer: true)
        }
        let error = body.oauthError ?? ""
        let description = body.oauthDescription ?? ""
        let lowered = description.lowercased()
        if lowered.contains("redirect_uri") {
            return DiscordAPIError(.oauthRedirectMismatch, route: route.name, status: response.status,
                                   message: "Discord refused the redirect_uri (\(error): \(description)): DISCORD_CALLBACK_URL must be byte-identical to the redirect registered for the application and used in the authorize URL")
        }
        if lowered.contains("\"code\"") || lowered.contains("code") && error == "invalid_grant" {
            return DiscordAPIError(.oauthInvalidCode, route: route.name, status: response.status,
                                   message: "the authorization code is invalid, expired or already used (\(error): \(description)); the user has to link again")
        }
        if error == "invalid_client" || response.status == 401 {
            return DiscordAPIError(.oauthInvalidClient, route: route.name, status: response.status,
                                   message: "the OAuth2 client credentials were rejected (\(error)): check DISCORD_APP_ID and DISCORD_APP_SECRET")
        }
        return DiscordAPIError(.other(status: response.status, code: nil), route: route.name, status: response.status,
                               message: "OAuth2 token exchange failed: \(error) \(description)")
    }
}
