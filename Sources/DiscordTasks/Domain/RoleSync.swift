/// Role planning for `update_groups` and the bulk sync: pure, no I/O. AA 5.5's `DiscordUser.update_groups`
/// and `calculate_roles_for_user` (`allianceauth/services/modules/discord/models.py`, `core.py`): create the
/// missing roles, keep managed and reserved roles, PATCH only when the set changes. Unlike AA, a role at or
/// above the bot's highest role is never sent (Discord would refuse the whole PATCH with 403); the rest of
/// the member's roles are still synced.
///
/// Names match guild roles exactly and case-sensitively; reserved names case-insensitively.
/// Compared with AA, a member whose final role set equals the current one needs no request even
/// when a desired role is also persistent (AA would send an identical list again).
public enum RoleSync {
    /// Plans one member against a guild's roles.
    public static func plan(
        desiredNames: Set<String>, guildRoles: [GuildRoleInfo], memberRoleIDs: some Sequence<UInt64>,
        reservedNames: some Sequence<String>, botTopPosition: Int, guildID: UInt64
    ) -> RolePlan {
        plan(
            desiredNames: desiredNames, memberRoleIDs: memberRoleIDs,
            index: GuildRoleIndex(
                roles: guildRoles, guildID: guildID, botTopPosition: botTopPosition, reservedNames: reservedNames))
    }

    /// Plans one member against a prepared index (bulk sync: one index, many members).
    public static func plan(
        desiredNames: Set<String>, memberRoleIDs: some Sequence<UInt64>, index: GuildRoleIndex
    ) -> RolePlan {
        var current = Set<UInt64>()
        var unknown = Set<UInt64>()
        var persistent = Set<UInt64>()
        for id in memberRoleIDs where id != index.guildID {
            guard let role = index.role(id: id) else {
                unknown.insert(id)
                continue
            }
            current.insert(id)
            if index.isPersistent(role) { persistent.insert(id) }
        }

        var missing: [String] = []
        var unassignable = Set<String>()
        var final = persistent
        for name in desiredNames {
            guard let role = index.match(name, held: current) else {
                if !index.isImplicitEveryone(name) { missing.append(name) }
                continue
            }
            if index.isAssignable(role) {
                final.insert(role.id)
            } else if !current.contains(role.id) {
                unassignable.insert(name)
            }
        }

        return RolePlan(
            missingNames: missing.sorted(),
            currentRoleIDs: current,
            unknownMemberRoleIDs: unknown,
            persistentRoleIDs: persistent,
            finalRoleIDs: final,
            added: final.subtracting(current),
            removed: current.subtracting(final),
            unassignable: unassignable,
            refusesToClearAllRoles: final.isEmpty && !current.isEmpty)
    }
}
