import DiscordAPI
import HostDatabase

/// The pure half of the bulk sync (`DiscordSync.bulk`): what each listed member needs and which sender it
/// goes to. No I/O: `runBulk` lists the members page by page, hands each page here, sends what comes
/// back, and does the database and queue work at the end with what the planner collected.
///
/// - A member's change is a PATCH (full role list and/or nickname) or, when exactly one role is added or
///   removed and the nickname stays, a single role-route request. Single-role changes are balanced between
///   the PATCH bucket and the member-role bucket (both are used at once): to the role route while it has
///   had no more than the PATCHes, else as a PATCH.
/// - A linked user listed as not in the guild (a nil entry), or in no page of a full listing, is not a
///   member any more (AA's delete path).
/// - Usernames (`discord.update_all_usernames`) change in the database only.
struct BulkPlanner {
    enum Route: Sendable, Equatable { case patch, roleRoute }

    /// One page's plan: the changes in member order with their sender, and the members already in sync.
    struct PagePlan {
        var routed: [(action: BulkAction, route: Route)] = []
        var unchanged: [(uid: UInt64, member: GuildMember)] = []
    }

    let kind: BulkKind
    let guildID: UInt64
    /// The guild owner: never renamed (Discord refuses it).
    let ownerID: UInt64?
    /// Desired role names by user pk (groups syncs).
    let desired: [Int64: Set<String>]
    /// The guild's roles (groups syncs); replaced once when a page shows a role the index does not know.
    private(set) var index: GuildRoleIndex?
    private(set) var reloadedRoles = false
    private let usersByUID: [UInt64: LinkedUser]
    private var seen = Set<UInt64>()

    private(set) var notMembers: [Int64] = []
    private(set) var unassignable = Set<String>()
    private(set) var usernameUpdates: [(pk: Int64, username: String, discriminator: String)] = []
    private(set) var patches = 0
    private(set) var roleChanges = 0

    init(kind: BulkKind, users: [LinkedUser], desired: [Int64: Set<String>], index: GuildRoleIndex?, ownerID: UInt64?,
         guildID: UInt64) {
        self.kind = kind
        self.desired = desired
        self.index = index
        self.ownerID = ownerID
        self.guildID = guildID
        usersByUID = Dictionary(users.map { (UInt64(bitPattern: $0.link.uid), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether `page` holds a role id the index does not know (a stale roles cache): asked until the roles
    /// were reloaded once.
    func needsRoleReload(_ page: [UInt64: GuildMember?]) -> Bool {
        guard kind.groups, !reloadedRoles, let current = index else { return false }
        return page.values.contains { member in
            member?.roles.contains { current.role(id: $0.rawValue) == nil && $0.rawValue != guildID } ?? false
        }
    }

    /// The reloaded roles (same bot position and reserved names).
    mutating func useReloadedRoles(_ roles: [GuildRoleInfo], reservedNames: [String]) {
        reloadedRoles = true
        guard let current = index else { return }
        index = GuildRoleIndex(roles: roles, guildID: guildID, botTopPosition: current.botTopPosition, reservedNames: reservedNames)
    }

    /// Plans one page (user id → member; nil = a linked user who is not in the guild), in user id order.
    mutating func plan(page: [UInt64: GuildMember?]) -> PagePlan {
        var plan = PagePlan()
        for (uid, entry) in page.sorted(by: { $0.key < $1.key }) {
            seen.insert(uid)
            guard let user = usersByUID[uid] else { continue }
            guard let member = entry else {
                notMembers.append(user.userPK)
                continue
            }
            guard let action = action(user: user, member: member) else {
                plan.unchanged.append((uid, member))
                continue
            }
            if action.singleRole != nil, roleChanges <= patches {
                roleChanges += 1
                plan.routed.append((action, .roleRoute))
            } else {
                var patch = action
                patch.singleRole = nil
                patches += 1
                plan.routed.append((patch, .patch))
            }
        }
        return plan
    }

    /// After a full listing: linked users in no page are not members of the guild.
    mutating func finishFullListing() {
        for user in usersByUID.values.sorted(by: { $0.userPK < $1.userPK }) where !seen.contains(UInt64(bitPattern: user.link.uid)) {
            notMembers.append(user.userPK)
        }
    }

    /// The change one member needs (nil: none); collects username updates and unassignable roles.
    mutating func action(user: LinkedUser, member: GuildMember) -> BulkAction? {
        let uid = UInt64(bitPattern: user.link.uid)
        if kind.usernames, let discordUser = member.user {
            let discriminator = discordUser.discriminator ?? "0"
            if discordUser.username != user.link.username || discriminator != user.link.discriminator {
                usernameUpdates.append((user.userPK, discordUser.username, discriminator))
            }
        }
        var after = member
        var action = BulkAction(pk: user.userPK, uid: uid, roles: nil, nick: nil, singleRole: nil, after: member)
        if kind.groups, let index, let names = desired[user.userPK] {
            let plan = RoleSync.plan(desiredNames: names, memberRoleIDs: member.roles.map(\.rawValue), index: index)
            unassignable.formUnion(plan.unassignable)
            if plan.needsChange {
                action.roles = plan.sortedFinalRoleIDs
                after.roles = plan.sortedFinalRoleIDs.map { Snowflake($0) }
                if plan.added.count + plan.removed.count == 1 {
                    action.singleRole = plan.added.first.map { (role: $0, add: true) } ?? plan.removed.first.map { (role: $0, add: false) }
                }
            }
        }
        if kind.nicknames, ownerID != uid, let nick = (try? Nickname.forUser(profile: user.profile)) ?? nil, member.nick != nick {
            action.nick = nick
            action.singleRole = nil
            after.nick = nick
        }
        action.after = after
        return action.changesGroups || action.changesNick ? action : nil
    }
}
