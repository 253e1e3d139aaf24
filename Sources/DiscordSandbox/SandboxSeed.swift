// The initial guild: name, owner, roles, the bot (with its managed role at a chosen position) and members.

public struct SandboxSeed: Sendable, Hashable, Codable {
    public var guildName: String
    /// The guild owner's user id (never renamed or kicked by the bot).
    public var ownerID: UInt64
    /// The bot user; it becomes a member holding its managed bot role.
    public var bot: SandboxUser
    /// Position of the bot's managed role (its highest role unless `roles` gives it a higher one).
    public var botRolePosition: Int
    /// Id of the bot's managed role.
    public var botRoleID: UInt64
    /// The guild's roles other than @everyone and the bot role. A role whose id is the guild id
    /// is taken as @everyone (its permissions are used; position forced to 0).
    public var roles: [SandboxRole]
    /// Members; the bot member is added when missing and always holds the bot role.
    public var members: [SandboxMember]

    public init(
        guildName: String = "Sandbox Guild",
        ownerID: UInt64,
        bot: SandboxUser = SandboxSeed.defaultBot,
        botRolePosition: Int,
        botRoleID: UInt64 = SandboxSeed.defaultBotRoleID,
        roles: [SandboxRole] = [],
        members: [SandboxMember] = []
    ) {
        self.guildName = guildName
        self.ownerID = ownerID
        self.bot = bot
        self.botRolePosition = botRolePosition
        self.botRoleID = botRoleID
        self.roles = roles
        self.members = members
    }

    private enum CodingKeys: String, CodingKey {
        case guildName = "guild_name"
        case ownerID = "owner_id"
        case bot
        case botRolePosition = "bot_role_position"
        case botRoleID = "bot_role_id"
        case roles, members
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guildName = try container.decodeIfPresent(String.self, forKey: .guildName) ?? "Sandbox Guild"
        ownerID = try container.decodeSnowflake(forKey: .ownerID)
        bot = try container.decodeIfPresent(SandboxUser.self, forKey: .bot) ?? Self.defaultBot
        botRolePosition = try container.decode(Int.self, forKey: .botRolePosition)
        botRoleID = container.contains(.botRoleID) ? try container.decodeSnowflake(forKey: .botRoleID) : Self.defaultBotRoleID
        roles = try container.decodeIfPresent([SandboxRole].self, forKey: .roles) ?? []
        members = try container.decodeIfPresent([SandboxMember].self, forKey: .members) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(guildName, forKey: .guildName)
        try container.encode(String(ownerID), forKey: .ownerID)
        try container.encode(bot, forKey: .bot)
        try container.encode(botRolePosition, forKey: .botRolePosition)
        try container.encode(String(botRoleID), forKey: .botRoleID)
        try container.encode(roles, forKey: .roles)
        try container.encode(members, forKey: .members)
    }

    /// The default bot user (its id equals the default OAuth client id, as for a real application).
    public static let defaultBot = SandboxUser(
        id: 100_000_000_000_000_001, username: "Sandbox Bot", discriminator: "4242", bot: true)
    public static let defaultBotRoleID: UInt64 = 500_000_000_000_000_900

    // MARK: Generated seeds

    /// Ids used by `generated(…)`: user `i` (0-based) has id `firstUserID + i`; user 0 is the owner.
    public static let firstUserID: UInt64 = 300_000_000_000_000_000
    /// Role `k` (0-based) of `roleNames` has id `firstRoleID + k`.
    public static let firstRoleID: UInt64 = 500_000_000_000_000_000
    /// The role above the bot's (`"Admin"`), to exercise the hierarchy.
    public static let adminRoleID: UInt64 = 500_000_000_000_000_950
    /// A managed Server Booster role below the bot's.
    public static let boosterRoleID: UInt64 = 500_000_000_000_000_951

    /// A deterministic guild: `memberCount` members (ids `firstUserID + i`, usernames `user00000`, …,
    /// member 0 is the owner and holds "Admin"), the roles `roleNames` at positions 1…k (ids
    /// `firstRoleID + k`), a managed "Server Booster" role at position k+1, the bot role at k+2 and an
    /// "Admin" role at k+3 (above the bot). Members hold no roles unless `roleAssignment` gives some:
    /// it maps a member index to indexes into `roleNames`.
    public static func generated(
        memberCount: Int,
        roleNames: [String] = ["Member", "Alliance", "Corporation"],
        guildName: String = "Sandbox Guild",
        bot: SandboxUser = SandboxSeed.defaultBot,
        roleAssignment: (@Sendable (Int) -> [Int])? = nil
    ) -> SandboxSeed {
        var roles: [SandboxRole] = []
        for (index, name) in roleNames.enumerated() {
            roles.append(SandboxRole(id: firstRoleID + UInt64(index), name: name, position: index + 1))
        }
        let boosterPosition = roleNames.count + 1
        roles.append(SandboxRole(
            id: boosterRoleID, name: "Server Booster", position: boosterPosition, managed: true,
            color: 0xF47FFF, premiumSubscriber: true))
        let botPosition = boosterPosition + 1
        roles.append(SandboxRole(id: adminRoleID, name: "Admin", position: botPosition + 1, permissions: 8, hoist: true))

        var members: [SandboxMember] = []
        members.reserveCapacity(max(0, memberCount))
        for index in 0..<max(0, memberCount) {
            let id = firstUserID + UInt64(index)
            let username = generatedUsername(index)
            var memberRoles: [UInt64] = []
            if index == 0 { memberRoles.append(adminRoleID) }
            if let roleAssignment {
                for roleIndex in roleAssignment(index) where roleNames.indices.contains(roleIndex) {
                    let roleID = firstRoleID + UInt64(roleIndex)
                    if !memberRoles.contains(roleID) { memberRoles.append(roleID) }
                }
            }
            members.append(SandboxMember(
                user: SandboxUser(id: id, username: username, globalName: index == 0 ? "Owner" : "User \(index)"),
                roles: memberRoles))
        }
        return SandboxSeed(
            guildName: guildName, ownerID: firstUserID, bot: bot, botRolePosition: botPosition,
            roles: roles, members: members)
    }

    /// `user00000`, `user00001`, … (at least five digits).
    public static func generatedUsername(_ index: Int) -> String {
        let digits = String(index)
        return "user" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    /// Id of generated role `name` (nil if `roleNames` of `generated` did not contain it).
    public func roleID(named name: String) -> UInt64? {
        if name == "Server Booster" { return Self.boosterRoleID }
        return roles.first { $0.name == name }?.id
    }
}
