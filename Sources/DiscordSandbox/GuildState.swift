// The guild's state and Discord's rules on it: hierarchy, managed roles, the owner, @everyone.
// Members live in a dictionary keyed by user id plus a sorted id array for paging.

struct GuildState: Sendable {
    let guildID: UInt64
    var name: String
    var ownerID: UInt64
    var bot: SandboxUser
    var botRoleID: UInt64
    var roles: [UInt64: SandboxRole]
    private(set) var members: [UInt64: SandboxMember]
    /// Member ids in ascending order (List Guild Members pages by id).
    private(set) var memberIDs: [UInt64]
    /// Sequence for new role ids.
    var snowflakeSequence: UInt64 = 0
    var lastSnowflake: UInt64 = 0

    /// Default @everyone permissions of a new Discord guild.
    static let everyonePermissions: UInt64 = 104_324_673
    /// ADMINISTRATOR, what Alliance Auth's bot-add URL asks for (it does not bypass the hierarchy).
    static let botPermissions: UInt64 = 8

    init(guildID: UInt64, seed: SandboxSeed) {
        self.guildID = guildID
        name = seed.guildName
        ownerID = seed.ownerID
        bot = seed.bot
        botRoleID = seed.botRoleID
        roles = [:]
        members = [:]
        memberIDs = []

        var everyone = SandboxRole(id: guildID, name: "@everyone", position: 0, permissions: Self.everyonePermissions)
        for role in seed.roles {
            if role.id == guildID {
                everyone.permissions = role.permissions
            } else {
                roles[role.id] = role
            }
        }
        roles[guildID] = everyone
        var botRole = roles[seed.botRoleID] ?? SandboxRole(
            id: seed.botRoleID, name: seed.bot.username, position: seed.botRolePosition, permissions: Self.botPermissions)
        botRole.position = seed.botRolePosition
        botRole.managed = true
        botRole.botID = seed.bot.id
        roles[botRole.id] = botRole

        var seenBot = false
        var byID: [UInt64: SandboxMember] = [:]
        byID.reserveCapacity(seed.members.count + 1)
        for var member in seed.members {
            member.roles = Self.deduplicated(member.roles.filter { $0 != guildID })
            if member.id == seed.bot.id {
                seenBot = true
                member.user = seed.bot
                if !member.roles.contains(botRole.id) { member.roles.append(botRole.id) }
            }
            byID[member.id] = member
        }
        if !seenBot {
            byID[seed.bot.id] = SandboxMember(user: seed.bot, roles: [botRole.id])
        }
        members = byID
        memberIDs = byID.keys.sorted()
    }

    static func deduplicated(_ ids: [UInt64]) -> [UInt64] {
        var seen = Set<UInt64>()
        return ids.filter { seen.insert($0).inserted }
    }

    // MARK: Queries

    /// Roles ordered as Discord lists them: by position, ties by id.
    var sortedRoles: [SandboxRole] {
        roles.values.sorted { ($0.position, $0.id) < ($1.position, $1.id) }
    }

    /// Position of a member's highest role (0 = only @everyone). Unknown (deleted) role ids are ignored.
    func highestPosition(of member: SandboxMember) -> Int {
        var highest = 0
        for id in member.roles {
            if let role = roles[id], role.position > highest { highest = role.position }
        }
        return highest
    }

    /// Position of the bot's highest role.
    var botTopPosition: Int {
        members[bot.id].map(highestPosition(of:)) ?? roles[botRoleID]?.position ?? 0
    }

    /// Whether the bot may add or remove `role`: never @everyone or a managed role, and only roles
    /// strictly below its highest role.
    func checkAssignable(_ role: SandboxRole) throws(APIError) {
        if role.id == guildID { throw .unknownRole }
        if role.managed || role.position >= botTopPosition { throw .missingPermissions }
    }

    /// Whether the bot may rename or kick `member`: never the owner, and only members whose highest
    /// role is strictly below the bot's highest role.
    func checkModerable(_ member: SandboxMember) throws(APIError) {
        if member.id == ownerID || highestPosition(of: member) >= botTopPosition { throw .missingPermissions }
    }

    /// Up to `limit` members with ids greater than `after`, ascending.
    func members(after: UInt64, limit: Int) -> [SandboxMember] {
        var low = 0
        var high = memberIDs.count
        while low < high {
            let mid = (low + high) / 2
            if memberIDs[mid] <= after { low = mid + 1 } else { high = mid }
        }
        let end = low + min(memberIDs.count - low, max(0, limit))
        return memberIDs[low..<end].compactMap { members[$0] }
    }

    func member(_ id: UInt64) -> SandboxMember? { members[id] }

    // MARK: Mutations

    mutating func upsertMember(_ member: SandboxMember) {
        var member = member
        member.roles = Self.deduplicated(member.roles.filter { $0 != guildID })
        if members.updateValue(member, forKey: member.id) == nil {
            let index = insertionIndex(member.id)
            memberIDs.insert(member.id, at: index)
        }
    }

    @discardableResult
    mutating func removeMember(_ id: UInt64) -> SandboxMember? {
        guard let removed = members.removeValue(forKey: id) else { return nil }
        let index = insertionIndex(id)
        if index < memberIDs.count, memberIDs[index] == id { memberIDs.remove(at: index) }
        return removed
    }

    private func insertionIndex(_ id: UInt64) -> Int {
        var low = 0
        var high = memberIDs.count
        while low < high {
            let mid = (low + high) / 2
            if memberIDs[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// A new snowflake for the given wall-clock time, strictly increasing.
    mutating func nextSnowflake(unixMilliseconds: UInt64) -> UInt64 {
        snowflakeSequence += 1
        var id = Snowflake.make(unixMilliseconds: unixMilliseconds, sequence: snowflakeSequence)
        if id <= lastSnowflake { id = lastSnowflake + 1 }
        lastSnowflake = id
        return id
    }

    /// Creates a role at position 1 (just above @everyone), moving every other role up one, as Discord does.
    mutating func createRole(_ template: SandboxRole, unixMilliseconds: UInt64) -> SandboxRole {
        for id in Array(roles.keys) where id != guildID {
            roles[id]?.position += 1
        }
        var role = template
        role.id = nextSnowflake(unixMilliseconds: unixMilliseconds)
        role.position = 1
        roles[role.id] = role
        return role
    }

    /// The guild as a seed (round-trips through `init(guildID:seed:)`).
    var snapshot: SandboxSeed {
        SandboxSeed(
            guildName: name, ownerID: ownerID, bot: bot,
            botRolePosition: roles[botRoleID]?.position ?? 1, botRoleID: botRoleID,
            roles: sortedRoles.filter { $0.id != botRoleID },
            members: memberIDs.compactMap { members[$0] })
    }

    /// Discord's guild object.
    func guildJSON(withCounts: Bool) -> JSONNode {
        var pairs: [(String, JSONNode)] = [
            ("id", .snowflake(guildID)),
            ("name", .string(name)),
            ("icon", .null),
            ("description", .null),
            ("splash", .null),
            ("owner_id", .snowflake(ownerID)),
            ("region", .string("deprecated")),
            ("afk_channel_id", .null),
            ("afk_timeout", .int(300)),
            ("verification_level", .int(0)),
            ("default_message_notifications", .int(0)),
            ("explicit_content_filter", .int(0)),
            ("roles", .array(sortedRoles.map(\.json))),
            ("emojis", .array([])),
            ("features", .array([])),
            ("mfa_level", .int(0)),
            ("system_channel_id", .null),
            ("premium_tier", .int(0)),
            ("preferred_locale", .string("en-US")),
            ("nsfw_level", .int(0)),
        ]
        if withCounts {
            pairs.append(("approximate_member_count", .int(members.count)))
            pairs.append(("approximate_presence_count", .int(0)))
        }
        return .object(pairs)
    }
}
