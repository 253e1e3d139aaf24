// The guild's objects as Swift values. Ids are `UInt64`; their JSON (seed files, admin endpoints)
// uses Discord's field names with snowflakes as strings (numbers are accepted on input).

public struct SandboxUser: Sendable, Hashable, Codable {
    public var id: UInt64
    /// Unique lowercase username (post-2023 form) or a legacy name.
    public var username: String
    /// `"0"` for migrated users, 4 digits for bots and legacy users.
    public var discriminator: String
    /// Display name; nil when unset.
    public var globalName: String?
    public var bot: Bool

    public init(id: UInt64, username: String, discriminator: String = "0", globalName: String? = nil, bot: Bool = false) {
        self.id = id
        self.username = username
        self.discriminator = discriminator
        self.globalName = globalName
        self.bot = bot
    }

    private enum CodingKeys: String, CodingKey {
        case id, username, discriminator, bot
        case globalName = "global_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeSnowflake(forKey: .id)
        username = try container.decode(String.self, forKey: .username)
        discriminator = try container.decodeIfPresent(String.self, forKey: .discriminator) ?? "0"
        globalName = try container.decodeIfPresent(String.self, forKey: .globalName)
        bot = try container.decodeIfPresent(Bool.self, forKey: .bot) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(id), forKey: .id)
        try container.encode(username, forKey: .username)
        try container.encode(discriminator, forKey: .discriminator)
        try container.encode(globalName, forKey: .globalName)
        if bot { try container.encode(true, forKey: .bot) }
    }

    /// Discord's user object.
    var json: JSONNode {
        var pairs: [(String, JSONNode)] = [
            ("id", .snowflake(id)),
            ("username", .string(username)),
            ("avatar", .null),
            ("discriminator", .string(discriminator)),
            ("public_flags", .int(0)),
            ("flags", .int(0)),
            ("global_name", .optionalString(globalName)),
        ]
        if bot { pairs.append(("bot", .bool(true))) }
        return .object(pairs)
    }
}

public struct SandboxRole: Sendable, Hashable, Codable {
    public var id: UInt64
    public var name: String
    /// Position in the hierarchy; @everyone is 0. Ties are compared as equal (so "at or above" holds).
    public var position: Int
    /// Permission bitfield (a decimal string in JSON).
    public var permissions: UInt64
    /// Managed by an integration (bot role, booster role): bots can never assign or remove it.
    public var managed: Bool
    public var color: Int
    public var hoist: Bool
    public var mentionable: Bool
    /// `tags.bot_id` for a bot's own managed role.
    public var botID: UInt64?
    /// `tags.premium_subscriber` (the Server Booster role).
    public var premiumSubscriber: Bool

    public init(
        id: UInt64, name: String, position: Int, permissions: UInt64 = 0, managed: Bool = false,
        color: Int = 0, hoist: Bool = false, mentionable: Bool = false,
        botID: UInt64? = nil, premiumSubscriber: Bool = false
    ) {
        self.id = id
        self.name = name
        self.position = position
        self.permissions = permissions
        self.managed = managed
        self.color = color
        self.hoist = hoist
        self.mentionable = mentionable
        self.botID = botID
        self.premiumSubscriber = premiumSubscriber
    }

    private enum CodingKeys: String, CodingKey {
        case id, name, position, permissions, managed, color, hoist, mentionable, tags
    }

    private enum TagKeys: String, CodingKey {
        case botID = "bot_id"
        case premiumSubscriber = "premium_subscriber"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeSnowflake(forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        position = try container.decodeIfPresent(Int.self, forKey: .position) ?? 1
        if let text = try? container.decodeIfPresent(String.self, forKey: .permissions) {
            permissions = UInt64(text) ?? 0
        } else {
            permissions = try container.decodeIfPresent(UInt64.self, forKey: .permissions) ?? 0
        }
        managed = try container.decodeIfPresent(Bool.self, forKey: .managed) ?? false
        color = try container.decodeIfPresent(Int.self, forKey: .color) ?? 0
        hoist = try container.decodeIfPresent(Bool.self, forKey: .hoist) ?? false
        mentionable = try container.decodeIfPresent(Bool.self, forKey: .mentionable) ?? false
        if container.contains(.tags), let tags = try? container.nestedContainer(keyedBy: TagKeys.self, forKey: .tags) {
            botID = try tags.contains(.botID) ? tags.decodeSnowflake(forKey: .botID) : nil
            premiumSubscriber = tags.contains(.premiumSubscriber)
        } else {
            botID = nil
            premiumSubscriber = false
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(String(id), forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(position, forKey: .position)
        try container.encode(String(permissions), forKey: .permissions)
        try container.encode(managed, forKey: .managed)
        try container.encode(color, forKey: .color)
        try container.encode(hoist, forKey: .hoist)
        try container.encode(mentionable, forKey: .mentionable)
        if botID != nil || premiumSubscriber {
            var tags = container.nestedContainer(keyedBy: TagKeys.self, forKey: .tags)
            if let botID { try tags.encode(String(botID), forKey: .botID) }
            if premiumSubscriber { try tags.encodeNil(forKey: .premiumSubscriber) }
        }
    }

    /// Discord's role object.
    var json: JSONNode {
        var pairs: [(String, JSONNode)] = [
            ("id", .snowflake(id)),
            ("name", .string(name)),
            ("description", .null),
            ("permissions", .string(String(permissions))),
            ("position", .int(position)),
            ("color", .int(color)),
            ("colors", .object([("primary_color", .int(color)), ("secondary_color", .null), ("tertiary_color", .null)])),
            ("hoist", .bool(hoist)),
            ("managed", .bool(managed)),
            ("mentionable", .bool(mentionable)),
            ("icon", .null),
            ("unicode_emoji", .null),
            ("flags", .int(0)),
        ]
        if botID != nil || premiumSubscriber {
            var tags: [(String, JSONNode)] = []
            if let botID { tags.append(("bot_id", .snowflake(botID))) }
            if premiumSubscriber { tags.append(("premium_subscriber", .null)) }
            pairs.append(("tags", .object(tags)))
        }
        return .object(pairs)
    }
}

public struct SandboxMember: Sendable, Hashable, Codable {
    public var user: SandboxUser
    public var nick: String?
    /// Role ids, never containing @everyone. May hold ids of deleted roles (Discord does that too).
    public var roles: [UInt64]
    /// ISO-8601 timestamp.
    public var joinedAt: String

    public init(user: SandboxUser, nick: String? = nil, roles: [UInt64] = [], joinedAt: String = "2021-01-01T00:00:00.000000+00:00") {
        self.user = user
        self.nick = nick
        self.roles = roles
        self.joinedAt = joinedAt
    }

    public var id: UInt64 { user.id }

    private enum CodingKeys: String, CodingKey {
        case user, nick, roles
        case joinedAt = "joined_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        user = try container.decode(SandboxUser.self, forKey: .user)
        nick = try container.decodeIfPresent(String.self, forKey: .nick)
        roles = try container.decodeSnowflakesIfPresent(forKey: .roles) ?? []
        joinedAt = try container.decodeIfPresent(String.self, forKey: .joinedAt) ?? "2021-01-01T00:00:00.000000+00:00"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
        try container.encode(nick, forKey: .nick)
        try container.encode(roles.map { String($0) }, forKey: .roles)
        try container.encode(joinedAt, forKey: .joinedAt)
    }

    /// Discord's guild member object (with `user`, as REST returns it).
    var json: JSONNode {
        .object([
            ("user", user.json),
            ("nick", .optionalString(nick)),
            ("avatar", .null),
            ("banner", .null),
            ("roles", .array(roles.map { .snowflake($0) })),
            ("joined_at", .string(joinedAt)),
            ("premium_since", .null),
            ("deaf", .bool(false)),
            ("mute", .bool(false)),
            ("flags", .int(0)),
            ("pending", .bool(false)),
            ("communication_disabled_until", .null),
        ])
    }
}

extension KeyedDecodingContainer {
    /// A snowflake as a decimal string or a JSON number.
    func decodeSnowflake(forKey key: Key) throws -> UInt64 {
        if let text = try? decode(String.self, forKey: key) {
            guard let value = Snowflake.parse(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a snowflake: \(text)")
            }
            return value
        }
        return try decode(UInt64.self, forKey: key)
    }

    func decodeSnowflakesIfPresent(forKey key: Key) throws -> [UInt64]? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        let values = try decode([JSONValue].self, forKey: key)
        return try values.map { value in
            guard let id = value.snowflake else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a snowflake")
            }
            return id
        }
    }
}
