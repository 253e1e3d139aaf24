// The API operations on the guild state, with Discord's validation, hierarchy and error bodies.

import Foundation

extension EngineState {
    /// Runs an authenticated, admitted API request. Returns the status and JSON body (nil = no body).
    mutating func perform(
        _ match: MatchedRoute, _ request: SandboxRequest, configuration: SandboxConfiguration, time: Instant
    ) throws(APIError) -> (Int, JSONNode?) {
        switch match.route {
        case .getCurrentUser:
            return (200, guild.bot.json)

        case .getGuild:
            try checkGuild(match.guild)
            let query = FormDecoding.decode(request.query ?? "")
            return (200, guild.guildJSON(withCounts: Self.queryBool(query["with_counts"])))

        case .getRoles:
            try checkGuild(match.guild)
            return (200, .array(guild.sortedRoles.map(\.json)))

        case .createRole:
            try checkGuild(match.guild)
            return (200, try createRole(request, time: time))

        case .listMembers:
            try checkGuild(match.guild)
            guard faults.membersIntent ?? configuration.membersIntent else { throw .missingAccess }
            let query = FormDecoding.decode(request.query ?? "")
            var limit = 1
            if let text = query["limit"] {
                guard let value = Int(text) else {
                    throw .invalidForm(["limit"], errorCode: "NUMBER_TYPE_COERCE", text: "Value \"\(text)\" is not int.")
                }
                guard value >= 1 else {
                    throw .invalidForm(["limit"], errorCode: "NUMBER_TYPE_MIN", text: "int value should be greater than or equal to 1.")
                }
                guard value <= 1000 else {
                    throw .invalidForm(["limit"], errorCode: "NUMBER_TYPE_MAX", text: "int value should be less than or equal to 1000.")
                }
                limit = value
            }
            var after: UInt64 = 0
            if let text = query["after"] {
                guard let value = Snowflake.parse(text) else { throw .notSnowflake("after", Substring(text)) }
                after = value
            }
            return (200, .array(guild.members(after: after, limit: limit).map(\.json)))

        case .getMember:
            try checkGuild(match.guild)
            let member = try existingMember(match.user)
            return (200, member.json)

        case .addMember:
            try checkGuild(match.guild)
            return try addMember(match, request, time: time)

        case .modifyMember:
            try checkGuild(match.guild)
            return (200, try modifyMember(match, request))

        case .kickMember:
            try checkGuild(match.guild)
            let member = try existingMember(match.user)
            try guild.checkModerable(member)
            guild.removeMember(member.id)
            return (204, nil)

        case .addMemberRole, .removeMemberRole:
            try checkGuild(match.guild)
            var member = try existingMember(match.user)
            guard let roleID = Snowflake.parse(match.role) else { throw .notSnowflake("role_id", match.role) }
            guard roleID != guild.guildID, let role = guild.roles[roleID] else { throw .unknownRole }
            try guild.checkAssignable(role)
            if match.route == .addMemberRole {
                if !member.roles.contains(roleID) {
                    member.roles.append(roleID)
                    guild.upsertMember(member)
                }
            } else if member.roles.contains(roleID) {
                member.roles.removeAll { $0 == roleID }
                guild.upsertMember(member)
            }
            return (204, nil)

        case .oauthToken:
            throw .notFound
        }
    }

    // MARK: Helpers

    func checkGuild(_ raw: Substring) throws(APIError) {
        guard let id = Snowflake.parse(raw) else { throw .notSnowflake("guild_id", raw) }
        guard id == guild.guildID else { throw .unknownGuild }
    }

    func existingMember(_ raw: Substring) throws(APIError) -> SandboxMember {
        guard let id = Snowflake.parse(raw) else { throw .notSnowflake("user_id", raw) }
        guard let member = guild.member(id) else { throw .unknownMember }
        return member
    }

    static func queryBool(_ text: String?) -> Bool {
        guard let text else { return false }
        return ["true", "1", "True"].contains(text)
    }

    /// The JSON object body of a request. An empty body is an empty object; a non-empty body needs
    /// `Content-Type: application/json` (else 400 50035) and valid JSON (else 400 50109).
    static func jsonObject(_ request: SandboxRequest) throws(APIError) -> [String: JSONValue] {
        if request.body.isEmpty { return [:] }
        guard let contentType = request.contentType?.lowercased(), contentType.hasPrefix("application/json") else {
            throw .contentTypeNotJSON
        }
        guard let value = JSONValue.parse(request.body) else { throw .invalidJSON }
        guard case .object(let object) = value else {
            throw .invalidForm([], errorCode: "DICT_TYPE_CONVERT", text: "Only dictionaries may be used in a DictType")
        }
        return object
    }

    /// `nick`: null or a string of at most 32 code points (checked before trimming); "" clears it.
    static func parseNick(_ value: JSONValue) throws(APIError) -> String? {
        switch value {
        case .null:
            return nil
        case .string(let text):
            guard text.unicodeScalars.count <= 32 else {
                throw .invalidForm(["nick"], errorCode: "BASE_TYPE_MAX_LENGTH", text: "Must be 32 or fewer in length.")
            }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return trimmed.isEmpty ? nil : trimmed
        default:
            throw .invalidForm(["nick"], errorCode: "BASE_TYPE_STRING", text: "Must be a string.")
        }
    }

    /// A `roles` array: snowflakes (strings or numbers), unique, at most `maximum`. @everyone is dropped.
    /// Returns nil for `null` (no change).
    func parseRoleIDs(_ value: JSONValue, maximum: Int) throws(APIError) -> [UInt64]? {
        switch value {
        case .null:
            return nil
        case .array(let items):
            guard items.count <= maximum else {
                throw .invalidForm(["roles"], errorCode: "BASE_TYPE_MAX_LENGTH", text: "Must be \(maximum) or fewer in length.")
            }
            var ids: [UInt64] = []
            var seen = Set<UInt64>()
            for (index, item) in items.enumerated() {
                guard let id = item.snowflake else {
                    throw .invalidForm(["roles", String(index)], errorCode: "NUMBER_TYPE_COERCE", text: "Value is not snowflake.")
                }
                guard seen.insert(id).inserted else {
                    throw .invalidForm(["roles"], errorCode: "SET_TYPE_ALREADY_CONTAINS_VALUE", text: "The set contains duplicate values.")
                }
                if id != guild.guildID { ids.append(id) }
            }
            return ids
        default:
            throw .invalidForm(["roles"], errorCode: "BASE_TYPE_ARRAY", text: "Must be an array.")
        }
    }

    /// Ids of `ids` that name no role, allowing ids the member already has (deleted roles linger).
    func checkRolesExist(_ ids: [UInt64], keeping current: [UInt64]) throws(APIError) {
        for (index, id) in ids.enumerated() where guild.roles[id] == nil && !current.contains(id) {
            throw .invalidForm(["roles", String(index)], errorCode: "UNKNOWN_ROLE", text: "Unknown role \(id).")
        }
    }

    // MARK: Operations

    private mutating func createRole(_ request: SandboxRequest, time: Instant) throws(APIError) -> JSONNode {
        let body = try Self.jsonObject(request)
        var template = SandboxRole(id: 0, name: "new role", position: 1)
        switch body["name"] {
        case nil, .null?: break
        case .string(let name)?:
            guard name.unicodeScalars.count <= 100 else {
                throw .invalidForm(["name"], errorCode: "BASE_TYPE_MAX_LENGTH", text: "Must be 100 or fewer in length.")
            }
            template.name = name
        default:
            throw .invalidForm(["name"], errorCode: "BASE_TYPE_STRING", text: "Must be a string.")
        }
        switch body["permissions"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let value = UInt64(text) else {
                throw .invalidForm(["permissions"], errorCode: "NUMBER_TYPE_COERCE", text: "Value \"\(text)\" is not int.")
            }
            template.permissions = value
        case let value?:
            guard let number = value.intValue, number >= 0 else {
                throw .invalidForm(["permissions"], errorCode: "NUMBER_TYPE_COERCE", text: "Value is not int.")
            }
            template.permissions = UInt64(number)
        }
        if let color = body["color"], color != .null {
            guard let value = color.intValue, (0...0xFFFFFF).contains(value) else {
                throw .invalidForm(["color"], errorCode: "NUMBER_TYPE_COERCE", text: "Value is not a valid color.")
            }
            template.color = value
        }
        if let hoist = body["hoist"], hoist != .null {
            guard let value = hoist.boolValue else {
                throw .invalidForm(["hoist"], errorCode: "BASE_TYPE_BOOLEAN", text: "Must be either true or false.")
            }
            template.hoist = value
        }
        if let mentionable = body["mentionable"], mentionable != .null {
            guard let value = mentionable.boolValue else {
                throw .invalidForm(["mentionable"], errorCode: "BASE_TYPE_BOOLEAN", text: "Must be either true or false.")
            }
            template.mentionable = value
        }
        guard guild.roles.count - 1 < 250 else { throw .maximumRoles }
        let role = guild.createRole(template, unixMilliseconds: UInt64(max(0, time.wall * 1000)))
        return role.json
    }

    private mutating func addMember(
        _ match: MatchedRoute, _ request: SandboxRequest, time: Instant
    ) throws(APIError) -> (Int, JSONNode?) {
        guard let userID = Snowflake.parse(match.user) else { throw .notSnowflake("user_id", match.user) }
        let body = try Self.jsonObject(request)
        guard case .string(let token)? = body["access_token"] else {
            throw .invalidForm(["access_token"], errorCode: "BASE_TYPE_REQUIRED", text: "This field is required")
        }
        let nick = try body["nick"].map { value throws(APIError) in try Self.parseNick(value) } ?? nil
        let roles = try body["roles"].map { value throws(APIError) in try parseRoleIDs(value, maximum: 250) } ?? nil
        guard let grant = oauth.grant(forAccessToken: token, now: time.monotonic), grant.user.id == userID,
            grant.scopes.contains("guilds.join")
        else { throw .invalidOAuthToken }
        if guild.member(userID) != nil { return (204, nil) }
        if let roles {
            try checkRolesExist(roles, keeping: [])
            for id in roles {
                if let role = guild.roles[id] { try guild.checkAssignable(role) }
            }
        }
        let member = SandboxMember(
            user: grant.user, nick: nick, roles: roles ?? [], joinedAt: discordTimestamp(unixSeconds: time.wall))
        guild.upsertMember(member)
        return (201, guild.member(userID)?.json ?? member.json)
    }

    private mutating func modifyMember(_ match: MatchedRoute, _ request: SandboxRequest) throws(APIError) -> JSONNode {
        var member = try existingMember(match.user)
        let body = try Self.jsonObject(request)
        var nickChange: String?? = nil
        if let value = body["nick"] { nickChange = .some(try Self.parseNick(value)) }
        var newRoles: [UInt64]?
        if let value = body["roles"] { newRoles = try parseRoleIDs(value, maximum: 350) }
        if let newRoles { try checkRolesExist(newRoles, keeping: member.roles) }

        if nickChange != nil { try guild.checkModerable(member) }
        if let newRoles {
            let old = Set(member.roles)
            let new = Set(newRoles)
            for id in old.symmetricDifference(new) {
                if let role = guild.roles[id] { try guild.checkAssignable(role) }
            }
        }
        if let nickChange { member.nick = nickChange }
        if let newRoles { member.roles = newRoles }
        guild.upsertMember(member)
        return guild.member(member.id)?.json ?? member.json
    }
}
