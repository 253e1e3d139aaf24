/// The outcome of role planning for one member (`RoleSync.plan`).
public struct RolePlan: Sendable, Hashable {
    /// Desired names no guild role has, sorted: to create (unless role creation is disabled),
    /// then plan again with the new roles.
    public var missingNames: [String]
    /// The member's roles that are known guild roles (unknown ids and @everyone dropped).
    public var currentRoleIDs: Set<UInt64>
    /// Member role ids not in the guild's roles list: the roles cache is stale; reload it once
    /// and plan again (AA does the same); ids still unknown are dropped.
    public var unknownMemberRoleIDs: Set<UInt64>
    /// The member's roles kept whatever their groups: managed, reserved, or at/above the bot.
    public var persistentRoleIDs: Set<UInt64>
    /// The roles the member should end with: desired roles the bot can assign, plus persistent ones.
    public var finalRoleIDs: Set<UInt64>
    /// `finalRoleIDs − currentRoleIDs`.
    public var added: Set<UInt64>
    /// `currentRoleIDs − finalRoleIDs`.
    public var removed: Set<UInt64>
    /// Desired roles the member lacks and the bot cannot give (at or above its highest role, or
    /// managed): never sent; logged so the operator can move the bot's role.
    public var unassignable: Set<String>
    /// The plan would leave the member with no role at all; AA refuses to send that (a ValueError),
    /// and so does this plan (`needsChange` is false).
    public var refusesToClearAllRoles: Bool

    /// True when a request must be sent.
    public var needsChange: Bool {
        !refusesToClearAllRoles && finalRoleIDs != currentRoleIDs
    }

    /// `finalRoleIDs` in ascending order, for a stable request body.
    public var sortedFinalRoleIDs: [UInt64] {
        finalRoleIDs.sorted()
    }
}
