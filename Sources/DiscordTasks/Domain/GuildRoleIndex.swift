/// A guild's roles prepared for planning many members: lookups by id and by exact name, the
/// reserved names, and what the bot may assign. Build it once per roles list, not per member.
public struct GuildRoleIndex: Sendable {
    public let guildID: UInt64
    /// Position of the bot's highest role. Pass `Int.max` when the bot owns the guild.
    public let botTopPosition: Int
    private let rolesByID: [UInt64: GuildRoleInfo]
    /// Exact, case-sensitive names; each list sorted by (position, id). The @everyone role is not listed.
    private let rolesByName: [String: [GuildRoleInfo]]
    /// Reserved group names, truncated to 100 and lowercased (AA compares `name.lower()`).
    private let reservedKeys: Set<String>
    private let everyoneName: String?

    public init(roles: [GuildRoleInfo], guildID: UInt64, botTopPosition: Int, reservedNames: some Sequence<String>) {
        self.guildID = guildID
        self.botTopPosition = botTopPosition
        var byID: [UInt64: GuildRoleInfo] = [:]
        var byName: [String: [GuildRoleInfo]] = [:]
        var everyone: String?
        for role in roles {
            byID[role.id] = role
            if role.id == guildID {
                everyone = role.name
            } else {
                byName[role.name, default: []].append(role)
            }
        }
        for (name, list) in byName where list.count > 1 {
            byName[name] = list.sorted { ($0.position, $0.id) < ($1.position, $1.id) }
        }
        rolesByID = byID
        rolesByName = byName
        everyoneName = everyone
        reservedKeys = Set(reservedNames.map { RoleNames.truncate($0).lowercased() })
    }

    public func role(id: UInt64) -> GuildRoleInfo? {
        rolesByID[id]
    }

    /// True when the bot can add or remove the role: not @everyone, not managed, strictly below
    /// the bot's highest role. A role at the bot's position counts as above it (ties are ordered
    /// by id on Discord; treating them as above never sends a request Discord refuses).
    public func isAssignable(_ role: GuildRoleInfo) -> Bool {
        role.id != guildID && !role.managed && role.position < botTopPosition
    }

    /// True when a member keeps this role whatever their groups: managed, reserved
    /// (case-insensitive name), or out of the bot's reach.
    public func isPersistent(_ role: GuildRoleInfo) -> Bool {
        role.managed || reservedKeys.contains(role.name.lowercased()) || !isAssignable(role)
    }

    /// True when `name` is the @everyone role's name and no other role has it: every member holds
    /// it implicitly, so it is neither created nor sent.
    func isImplicitEveryone(_ name: String) -> Bool {
        name == everyoneName && rolesByName[name] == nil
    }

    /// The guild role for a desired `name`. With duplicate names the choice is deterministic: one
    /// the member already holds, else an assignable one, else any; lowest (position, id) first in
    /// each case. AA lets the last one in the API's list win.
    func match(_ name: String, held: Set<UInt64>) -> GuildRoleInfo? {
        guard let candidates = rolesByName[name] else { return nil }
        if candidates.count == 1 { return candidates[0] }
        return candidates.first { held.contains($0.id) } ?? candidates.first(where: isAssignable) ?? candidates[0]
    }
}
