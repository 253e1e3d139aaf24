/// Discord objects, decoded leniently: unknown fields are ignored, optional fields may be missing or null.

/// A user (`GET /users/@me`, `member.user`).
public struct DiscordUser: Sendable, Hashable, Codable {
    public var id: Snowflake
    public var username: String
    /// `"0"` for users migrated to unique usernames; 4 digits for bots and legacy users.
    public var discriminator: String?
    public var globalName: String?
    public var avatar: String?
    public var bot: Bool?
    public var email: String?

    public init(id: Snowflake, username: String, discriminator: String? = nil, globalName: String? = nil,
                avatar: String? = nil, bot: Bool? = nil, email: String? = nil) {
        self.id = id
        self.username = username
        self.discriminator = discriminator
        self.globalName = globalName
        self.avatar = avatar
        self.bot = bot
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case id, username, discriminator, avatar, bot, email
        case globalName = "global_name"
    }
}

/// A guild member. `roles` never contains @everyone and may contain ids of deleted roles.
public struct GuildMember: Sendable, Hashable, Codable {
    public var user: DiscordUser?
    public var nick: String?
    public var roles: [Snowflake]
    public var joinedAt: String?
    public var pending: Bool?
    public var flags: Int?

    public init(user: DiscordUser?, nick: String? = nil, roles: [Snowflake] = [], joinedAt: String? = nil,
                pending: Bool? = nil, flags: Int? = nil) {
        self.user = user
        self.nick = nick
        self.roles = roles
        self.joinedAt = joinedAt
        self.pending = pending
        self.flags = flags
    }

    enum CodingKeys: String, CodingKey {
        case user, nick, roles, pending, flags
        case joinedAt = "joined_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        user = try c.decodeIfPresent(DiscordUser.self, forKey: .user)
        nick = try c.decodeIfPresent(String.self, forKey: .nick)
        roles = try c.decodeIfPresent([Snowflake].self, forKey: .roles) ?? []
        joinedAt = try c.decodeIfPresent(String.self, forKey: .joinedAt)
        pending = try c.decodeIfPresent(Bool.self, forKey: .pending)
        flags = try c.decodeIfPresent(Int.self, forKey: .flags)
    }
}

/// A guild role. The @everyone role's id equals the guild id.
public struct GuildRole: Sendable, Hashable, Codable {
    public var id: Snowflake
    public var name: String
    public var position: Int
    /// Permission bitfield as Discord sends it (a decimal string).
    public var permissions: String
    /// Managed by an integration (bot role, booster role): cannot be assigned or removed by bots.
    public var managed: Bool
    public var color: Int?
    public var hoist: Bool?
    public var mentionable: Bool?

    public init(id: Snowflake, name: String, position: Int = 0, permissions: String = "0", managed: Bool = false,
                color: Int? = nil, hoist: Bool? = nil, mentionable: Bool? = nil) {
        self.id = id
        self.name = name
        self.position = position
        self.permissions = permissions
        self.managed = managed
        self.color = color
        self.hoist = hoist
        self.mentionable = mentionable
    }

    enum CodingKeys: String, CodingKey {
        case id, name, position, permissions, managed, color, hoist, mentionable
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Snowflake.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        position = try c.decodeIfPresent(Int.self, forKey: .position) ?? 0
        if let text = try? c.decodeIfPresent(String.self, forKey: .permissions) {
            permissions = text
        } else if let number = try? c.decodeIfPresent(UInt64.self, forKey: .permissions) {
            permissions = String(number)
        } else {
            permissions = "0"
        }
        managed = try c.decodeIfPresent(Bool.self, forKey: .managed) ?? false
        color = try c.decodeIfPresent(Int.self, forKey: .color)
        hoist = try c.decodeIfPresent(Bool.self, forKey: .hoist)
        mentionable = try c.decodeIfPresent(Bool.self, forKey: .mentionable)
    }

    /// The permission bitfield as a number (0 when unparseable).
    public var permissionBits: UInt64 { UInt64(permissions) ?? 0 }
}

/// A guild (`GET /guilds/{id}`).
public struct Guild: Sendable, Hashable, Codable {
    public var id: Snowflake
    public var name: String
    public var ownerID: Snowflake?
    public var roles: [GuildRole]
    public var mfaLevel: Int?

    public init(id: Snowflake, name: String, ownerID: Snowflake? = nil, roles: [GuildRole] = [], mfaLevel: Int? = nil) {
        self.id = id
        self.name = name
        self.ownerID = ownerID
        self.roles = roles
        self.mfaLevel = mfaLevel
    }

    enum CodingKeys: String, CodingKey {
        case id, name, roles
        case ownerID = "owner_id"
        case mfaLevel = "mfa_level"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(Snowflake.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        ownerID = try c.decodeIfPresent(Snowflake.self, forKey: .ownerID)
        roles = try c.decodeIfPresent([GuildRole].self, forKey: .roles) ?? []
        mfaLevel = try c.decodeIfPresent(Int.self, forKey: .mfaLevel)
    }
}

/// The OAuth2 token response. Tokens are `Secret`s.
public struct OAuthToken: Sendable, Hashable, Decodable {
    public var accessToken: Secret
    public var tokenType: String
    public var expiresIn: Int?
    public var refreshToken: Secret?
    public var scope: String?

    public init(accessToken: Secret, tokenType: String = "Bearer", expiresIn: Int? = nil, refreshToken: Secret? = nil, scope: String? = nil) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scope = scope
    }

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case tokenType = "token_type"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case scope
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accessToken = Secret(try c.decode(String.self, forKey: .accessToken))
        tokenType = try c.decodeIfPresent(String.self, forKey: .tokenType) ?? "Bearer"
        expiresIn = try c.decodeIfPresent(Int.self, forKey: .expiresIn)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken).map { Secret($0) }
        scope = try c.decodeIfPresent(String.self, forKey: .scope)
    }

    /// Scopes granted, split on spaces.
    public var scopes: [String] { (scope ?? "").split(separator: " ").map(String.init) }
}

/// Outcome of `addMember`.
public enum AddMemberResult: Sendable, Hashable {
    /// 201: the user joined; Discord returned the member.
    case added(GuildMember)
    /// 204: the user was already a member; nothing was changed.
    case alreadyMember
}

/// Outcome of `modifyMember`.
public enum ModifyResult: Sendable, Hashable {
    /// 2xx: the member as Discord returned it (nil for a 204 without body).
    case modified(GuildMember?)
    /// 404 with code 10007: the user is not in the guild.
    case notMember
}
