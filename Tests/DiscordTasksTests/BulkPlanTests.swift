import DiscordAPI
@testable import DiscordTasks
import HostDatabase
import Testing

/// The pure plan of a bulk sync: which members need which request, on which route.
@Suite struct BulkPlanTests {
    static let guildID: UInt64 = 1000
    static let roles = [
        GuildRoleInfo(id: 1000, name: "@everyone", position: 0, managed: false),
        GuildRoleInfo(id: 11, name: "Member", position: 1, managed: false),
        GuildRoleInfo(id: 12, name: "Blue", position: 2, managed: false),
        GuildRoleInfo(id: 13, name: "Scouts", position: 3, managed: false),
        GuildRoleInfo(id: 15, name: "Nitro Booster", position: 4, managed: true),
        GuildRoleInfo(id: 17, name: "AA Bot", position: 10, managed: true),
        GuildRoleInfo(id: 18, name: "Leadership", position: 12, managed: false),
    ]
    static let index = GuildRoleIndex(roles: roles, guildID: guildID, botTopPosition: 10, reservedNames: [])
    static let main = EveCharacter(
        characterID: 95_465_499, characterName: "Bob Pilot", corporationID: 98_000_001, corporationName: "Bob Corp",
        corporationTicker: "BOBC", allianceID: nil, allianceName: "", allianceTicker: "")

    /// User `pk` with Discord id `100 + pk`, in the given groups and state "Member".
    static func user(_ pk: Int64, groups: [String] = [], main: EveCharacter? = nil, name: String = "old") -> LinkedUser {
        LinkedUser(
            link: DiscordLink(userPK: pk, uid: 100 + pk, username: name, discriminator: "0", activated: nil),
            profile: SyncProfile(userPK: pk, username: "user\(pk)", groupNames: groups, stateID: 1, stateName: "Member",
                                 mainCharacter: main, nicknameFormat: nil))
    }

    static func member(_ pk: Int64, roles: [UInt64], nick: String? = nil, name: String = "old") -> GuildMember {
        GuildMember(user: DiscordUser(id: Snowflake(UInt64(100 + pk)), username: name, discriminator: "0"), nick: nick,
                    roles: roles.map { Snowflake($0) })
    }

    func make(_ users: [LinkedUser], _ members: [UInt64: GuildMember?], failed: Set<Int64> = [], kind: BulkKind,
              ownerID: UInt64? = nil) -> BulkPlan {
        let desired = BulkPlan.desiredRoleNames(of: users).perUser
        return BulkPlan.make(users: users, members: members, failedReads: failed, kind: kind, desired: desired,
                             index: kind.groups ? Self.index : nil, ownerID: ownerID)
    }

    @Test func desiredNamesArePerUserAndTogether() {
        let names = BulkPlan.desiredRoleNames(of: [Self.user(1, groups: ["Blue"]), Self.user(2, groups: ["Scouts", "New"])])
        #expect(names.perUser[1] == ["Blue", "Member"])
        #expect(names.perUser[2] == ["Scouts", "New", "Member"])
        #expect(names.all == ["Blue", "Scouts", "New", "Member"])
    }

    @Test func membersThatLeftFailedReadsAndUnchangedMembers() {
        let users = [Self.user(1, groups: ["Blue"]), Self.user(2), Self.user(3), Self.user(4)]
        let members: [UInt64: GuildMember?] = [101: Self.member(1, roles: [11, 12, 15]), 102: GuildMember?.none, 104: Self.member(4, roles: [11])]
        let plan = make(users, members, failed: [4], kind: BulkKind(groups: true))
        #expect(plan.unchanged.map(\.uid) == [101])  // managed 15 is kept, nothing to send
        #expect(plan.notMembers == [2, 3])  // 2 listed as gone, 3 not listed at all
        #expect(plan.changeCount == 0)
    }

    @Test func singleRoleChangesBalanceTheTwoRoutes() {
        // 1, 2 and 4 need one role each; 3 needs two: 3 goes by PATCH, then singles alternate, the role route first.
        let users = [Self.user(1, groups: ["Blue"]), Self.user(2, groups: ["Blue"]), Self.user(3, groups: ["Blue", "Scouts"]),
                     Self.user(4)]
        let members: [UInt64: GuildMember?] = [
            101: Self.member(1, roles: [11]), 102: Self.member(2, roles: [11]), 103: Self.member(3, roles: [11]),
            104: Self.member(4, roles: [11, 13]),
        ]
        let plan = make(users, members, kind: BulkKind(groups: true))
        #expect(plan.patches.map(\.pk) == [3, 4])
        #expect(plan.roleChanges.map(\.pk) == [1, 2])
        #expect(plan.roleChanges.map { $0.singleRole?.role } == [12, 12])
        #expect(plan.roleChanges.allSatisfy { $0.singleRole?.add == true })
        let removal = plan.patches[1]
        #expect(removal.singleRole?.role == 13 && removal.singleRole?.add == false)
        #expect(removal.roles == [11])
        #expect(plan.patches[0].roles == [11, 12, 13])
        #expect(plan.patches[0].after.roles == [11, 12, 13])
    }

    @Test func rolesAboveTheBotAreReportedNotSent() {
        let plan = make([Self.user(1, groups: ["Leadership"])], [101: Self.member(1, roles: [11])], kind: BulkKind(groups: true))
        #expect(plan.unassignable == ["Leadership"])
        #expect(plan.changeCount == 0)
    }

    @Test func aNicknameChangeGoesByPatchExceptForTheOwner() {
        let users = [Self.user(1, groups: ["Blue"], main: Self.main), Self.user(2, main: Self.main), Self.user(3, main: Self.main)]
        let members: [UInt64: GuildMember?] = [
            101: Self.member(1, roles: [11]), 102: Self.member(2, roles: [11], nick: "Bob Pilot"), 103: Self.member(3, roles: [11]),
        ]
        let plan = make(users, members, kind: BulkKind(groups: true, nicknames: true), ownerID: 103)
        #expect(plan.patches.map(\.pk) == [1])
        #expect(plan.patches[0].nick == "Bob Pilot")
        #expect(plan.patches[0].singleRole == nil)  // a role and a nickname: one PATCH
        #expect(plan.patches[0].after.nick == "Bob Pilot")
        #expect(plan.roleChanges.isEmpty)
        #expect(plan.unchanged.map(\.uid) == [102, 103])
    }

    @Test func usernamesThatDifferAreUpdated() {
        let users = [Self.user(1, name: "old"), Self.user(2, name: "same")]
        let members: [UInt64: GuildMember?] = [101: Self.member(1, roles: [], name: "new"), 102: Self.member(2, roles: [], name: "same")]
        let plan = make(users, members, kind: BulkKind(usernames: true))
        #expect(plan.usernameUpdates == [BulkPlan.UsernameUpdate(pk: 1, username: "new", discriminator: "0")])
        #expect(plan.changeCount == 0)
    }

    @Test func anUnknownRoleMeansAStaleCache() {
        #expect(!BulkPlan.hasUnknownRole([101: Self.member(1, roles: [11, 1000]), 102: GuildMember?.none], index: Self.index, guildID: Self.guildID))
        #expect(BulkPlan.hasUnknownRole([101: Self.member(1, roles: [11, 99])], index: Self.index, guildID: Self.guildID))
    }
}
