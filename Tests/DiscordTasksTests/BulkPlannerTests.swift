import DiscordAPI
@testable import DiscordTasks
import HostDatabase
import Testing

/// The pure half of the bulk sync: what each listed member needs and which sender it goes to. No servers.
@Suite struct BulkPlannerTests {
    static let guildID: UInt64 = 1_000
    static let roles = [
        GuildRoleInfo(id: 11, name: "Member", position: 1, managed: false),
        GuildRoleInfo(id: 12, name: "Alpha", position: 2, managed: false),
        GuildRoleInfo(id: 13, name: "Beta", position: 3, managed: false),
        GuildRoleInfo(id: 14, name: "Above", position: 20, managed: false),
    ]
    static let index = GuildRoleIndex(roles: roles, guildID: guildID, botTopPosition: 10, reservedNames: [String]())
    static let main = EveCharacter(
        characterID: 95_465_499, characterName: "Bob Pilot", corporationID: 98_000_001, corporationName: "Bob Corp",
        corporationTicker: "BOBC", allianceID: nil, allianceName: "", allianceTicker: "")

    static func uid(_ pk: Int64) -> UInt64 { 500 + UInt64(pk) }

    static func user(_ pk: Int64, username: String = "user", main: EveCharacter? = nil) -> LinkedUser {
        LinkedUser(
            link: DiscordLink(userPK: pk, uid: Int64(uid(pk)), username: username, discriminator: "0", activated: nil),
            profile: SyncProfile(userPK: pk, username: "aa\(pk)", groupNames: [], stateID: 1, stateName: "Member",
                                 mainCharacter: main, nicknameFormat: nil))
    }

    static func member(_ pk: Int64, roles: [UInt64], nick: String? = nil, username: String = "user") -> GuildMember {
        GuildMember(user: DiscordUser(id: Snowflake(uid(pk)), username: username, discriminator: "0"), nick: nick,
                    roles: roles.map { Snowflake($0) })
    }

    static func planner(_ kind: BulkKind, _ users: [LinkedUser], desired: [Int64: Set<String>] = [:], ownerID: UInt64? = nil)
        -> BulkPlanner
    {
        BulkPlanner(kind: kind, users: users, desired: desired, index: index, ownerID: ownerID, guildID: guildID)
    }

    @Test func membersInSyncAreUnchangedAndNeedNoRequest() {
        var planner = Self.planner(BulkKind(groups: true), [Self.user(1)], desired: [1: ["Member"]])
        let plan = planner.plan(page: [Self.uid(1): Self.member(1, roles: [11])])
        #expect(plan.routed.isEmpty)
        #expect(plan.unchanged.map(\.uid) == [Self.uid(1)])
        #expect(planner.patches == 0 && planner.roleChanges == 0)
    }

    @Test func singleRoleChangesAreBalancedBetweenTheRoleRouteAndPatch() {
        let users = [Self.user(1), Self.user(2), Self.user(3)]
        var planner = Self.planner(BulkKind(groups: true), users, desired: [1: ["Member", "Alpha"], 2: ["Member", "Alpha"], 3: ["Member"]])
        let plan = planner.plan(page: [
            Self.uid(1): Self.member(1, roles: [11]),  // one role added
            Self.uid(2): Self.member(2, roles: [11]),  // one role added
            Self.uid(3): Self.member(3, roles: [11, 13]),  // one role removed
        ])
        #expect(plan.routed.map(\.route) == [.roleRoute, .patch, .roleRoute])
        #expect(plan.routed[0].action.singleRole?.role == 12 && plan.routed[0].action.singleRole?.add == true)
        #expect(plan.routed[1].action.singleRole == nil, "sent as a PATCH: the full role list")
        #expect(plan.routed[1].action.roles == [11, 12])
        #expect(plan.routed[2].action.singleRole?.role == 13 && plan.routed[2].action.singleRole?.add == false)
        #expect(planner.roleChanges == 2 && planner.patches == 1)
        #expect(plan.routed.allSatisfy { $0.action.isSatisfied(by: $0.action.after) })
    }

    @Test func aNicknameChangeIsAPatchAndTheOwnerIsNeverRenamed() {
        let users = [Self.user(1, main: Self.main), Self.user(2, main: Self.main)]
        var planner = Self.planner(BulkKind(groups: true, nicknames: true), users,
                                   desired: [1: ["Member", "Alpha"], 2: ["Member"]], ownerID: Self.uid(2))
        let plan = planner.plan(page: [Self.uid(1): Self.member(1, roles: [11]), Self.uid(2): Self.member(2, roles: [11])])
        #expect(plan.routed.count == 1)
        let patch = plan.routed[0]
        #expect(patch.route == .patch)
        #expect(patch.action.nick == "Bob Pilot" && patch.action.roles == [11, 12] && patch.action.singleRole == nil)
        #expect(patch.action.after.nick == "Bob Pilot")
        #expect(plan.unchanged.map(\.uid) == [Self.uid(2)], "the owner keeps their nickname")
    }

    @Test func notMembersAreThoseListedAsGoneAndThoseInNoPageOfAFullListing() {
        let users = [Self.user(1), Self.user(2), Self.user(3)]
        var planner = Self.planner(BulkKind(groups: true), users, desired: [1: ["Member"], 2: ["Member"], 3: ["Member"]])
        _ = planner.plan(page: [Self.uid(1): Self.member(1, roles: [11]), Self.uid(2): nil, 9_999: Self.member(9, roles: [])])
        #expect(planner.notMembers == [2])
        planner.finishFullListing()
        #expect(planner.notMembers == [2, 3])
    }

    @Test func usernamesAndUnassignableRolesAreCollected() {
        let users = [Self.user(1, username: "old"), Self.user(2)]
        var planner = Self.planner(BulkKind(groups: true, usernames: true), users, desired: [1: ["Member"], 2: ["Member", "Above"]])
        let plan = planner.plan(page: [
            Self.uid(1): Self.member(1, roles: [11], username: "new"),
            Self.uid(2): Self.member(2, roles: [11]),
        ])
        #expect(planner.usernameUpdates.map(\.pk) == [1])
        #expect(planner.usernameUpdates.first?.username == "new")
        #expect(planner.unassignable == ["Above"])
        #expect(plan.routed.isEmpty, "a role above the bot is never sent")
    }

    @Test func aRoleTheIndexDoesNotKnowAsksForOneReload() {
        var planner = Self.planner(BulkKind(groups: true), [Self.user(1)], desired: [1: ["Member"]])
        let page: [UInt64: GuildMember?] = [Self.uid(1): Self.member(1, roles: [11, 77])]
        #expect(planner.needsRoleReload(page))
        #expect(!planner.needsRoleReload([Self.uid(1): Self.member(1, roles: [11, Self.guildID])]), "@everyone is known")
        planner.useReloadedRoles(Self.roles + [GuildRoleInfo(id: 77, name: "New", position: 4, managed: false)], reservedNames: [])
        #expect(!planner.needsRoleReload(page))
        #expect(planner.index?.role(id: 77) != nil)
        // The new role is not desired: it is removed.
        #expect(planner.plan(page: page).routed.first?.action.singleRole?.role == 77)
    }
}
