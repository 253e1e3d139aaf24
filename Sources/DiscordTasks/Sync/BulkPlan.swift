import DiscordAPI
import HostDatabase

/// What a bulk sync does, decided from what it read (the linked users, the guild's members and roles):
/// pure, no I/O. `DiscordSync.runBulk` reads, plans with this, then sends.
struct BulkPlan: Sendable {
    /// A Discord username that differs from the stored one (database only, no request).
    struct UsernameUpdate: Sendable, Hashable {
        var pk: Int64
        var username: String
        var discriminator: String
    }

    /// Changes sent with `PATCH /guilds/{g}/members/{u}`: several roles, a nickname, or single-role changes
    /// that balance the two routes.
    var patches: [BulkAction] = []
    /// Single-role changes sent through the member-role route (its own rate-limit bucket).
    var roleChanges: [BulkAction] = []
    /// Linked users who are not in the guild any more (AA's delete path).
    var notMembers: [Int64] = []
    /// Role names that would be assigned but sit at or above the bot's highest role.
    var unassignable = Set<String>()
    var usernameUpdates: [UsernameUpdate] = []
    /// Members that need no request, as they are.
    var unchanged: [(uid: UInt64, member: GuildMember)] = []

    /// Members that need a request.
    var changeCount: Int { patches.count + roleChanges.count }

    /// The role names each user should have, and all of them together (to create the missing ones once).
    static func desiredRoleNames(of users: [LinkedUser]) -> (perUser: [Int64: Set<String>], all: Set<String>) {
        var perUser: [Int64: Set<String>] = [:]
        var all = Set<String>()
        for user in users {
            let names = RoleNames.calculate(groupNames: user.profile.groupNames, stateName: nil,
                                            profileStateName: user.profile.stateName)
            perUser[user.userPK] = names
            all.formUnion(names)
        }
        return (perUser, all)
    }

    /// `true` when a member holds a role id the roles index does not know (other than @everyone, whose id
    /// is the guild's): the cached role list is stale.
    static func hasUnknownRole(_ members: [UInt64: GuildMember?], index: GuildRoleIndex, guildID: UInt64) -> Bool {
        members.values.contains { member in
            member?.roles.contains { index.role(id: $0.rawValue) == nil && $0.rawValue != guildID } ?? false
        }
    }

    /// Plans every user in order.
    ///
    /// - Parameters:
    ///   - members: the guild's members by user id; `nil` = the linked user is not in the guild.
    ///   - failedReads: users whose member read failed: left out (the caller counts them as failed).
    ///   - desired: role names per user (`desiredRoleNames`); `index`: the guild's roles. Both only when
    ///     `kind.groups`.
    ///   - ownerID: the guild owner, whose nickname Discord does not let a bot change.
    static func make(
        users: [LinkedUser], members: [UInt64: GuildMember?], failedReads: Set<Int64>, kind: BulkKind,
        desired: [Int64: Set<String>], index: GuildRoleIndex?, ownerID: UInt64?
    ) -> BulkPlan {
        var plan = BulkPlan()
        var actions: [BulkAction] = []
        for user in users {
            let uid = UInt64(bitPattern: user.link.uid)
            if failedReads.contains(user.userPK) { continue }
            guard let entry = members[uid], let member = entry else {
                plan.notMembers.append(user.userPK)
                continue
            }
            if kind.usernames, let discordUser = member.user {
                let discriminator = discordUser.discriminator ?? "0"
                if discordUser.username != user.link.username || discriminator != user.link.discriminator {
                    plan.usernameUpdates.append(
                        UsernameUpdate(pk: user.userPK, username: discordUser.username, discriminator: discriminator))
                }
            }
            var after = member
            var action = BulkAction(pk: user.userPK, uid: uid, roles: nil, nick: nil, singleRole: nil, after: member)
            if kind.groups, let index, let names = desired[user.userPK] {
                let rolePlan = RoleSync.plan(desiredNames: names, memberRoleIDs: member.roles.map(\.rawValue), index: index)
                plan.unassignable.formUnion(rolePlan.unassignable)
                if rolePlan.needsChange {
                    action.roles = rolePlan.sortedFinalRoleIDs
                    after.roles = rolePlan.sortedFinalRoleIDs.map { Snowflake($0) }
                    if rolePlan.added.count + rolePlan.removed.count == 1 {
                        action.singleRole = rolePlan.added.first.map { (role: $0, add: true) }
                            ?? rolePlan.removed.first.map { (role: $0, add: false) }
                    }
                }
            }
            if kind.nicknames, ownerID != uid, let nick = (try? Nickname.forUser(profile: user.profile)) ?? nil,
               member.nick != nick {
                action.nick = nick
                action.singleRole = nil
                after.nick = nick
            }
            action.after = after
            if action.changesGroups || action.changesNick {
                actions.append(action)
            } else {
                plan.unchanged.append((uid, member))
            }
        }
        // PATCH bucket and role bucket are used in parallel: single-role changes balance the two.
        plan.patches = actions.filter { $0.singleRole == nil }
        for action in actions where action.singleRole != nil {
            if plan.roleChanges.count <= plan.patches.count {
                plan.roleChanges.append(action)
            } else {
                plan.patches.append(action)
            }
        }
        return plan
    }
}
