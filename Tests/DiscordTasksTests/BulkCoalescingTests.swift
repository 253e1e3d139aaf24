import DiscordAPI
@testable import DiscordTasks
import Testing

/// A bulk sync skips a member a single task already brought to exactly the state it would send.
@Suite struct BulkCoalescingTests {
    func member(roles: [UInt64], nick: String?) -> GuildMember {
        GuildMember(user: nil, nick: nick, roles: roles.map { Snowflake($0) })
    }

    func action(roles: [UInt64]?, nick: String?) -> BulkAction {
        BulkAction(pk: 1, uid: 2, roles: roles, nick: nick, singleRole: nil, after: member(roles: roles ?? [], nick: nick))
    }

    @Test func sameRolesInAnyOrderSatisfyARoleChange() {
        #expect(action(roles: [3, 1, 2], nick: nil).isSatisfied(by: member(roles: [1, 2, 3], nick: "whatever")))
    }

    @Test func otherRolesDoNotSatisfyIt() {
        #expect(!action(roles: [1, 2], nick: nil).isSatisfied(by: member(roles: [1], nick: nil)))
        #expect(!action(roles: [1, 2], nick: nil).isSatisfied(by: member(roles: [1, 2, 3], nick: nil)))
    }

    @Test func aNicknameChangeNeedsTheSameNickname() {
        #expect(action(roles: [1], nick: "Pilot 1").isSatisfied(by: member(roles: [1], nick: "Pilot 1")))
        // update_groups fixed the roles, but the nickname is still the old one: the bulk still sends.
        #expect(!action(roles: [1], nick: "Pilot 1").isSatisfied(by: member(roles: [1], nick: "Old")))
        #expect(!action(roles: nil, nick: "Pilot 1").isSatisfied(by: member(roles: [], nick: nil)))
    }

    @Test func anActionThatChangesNothingIsNeverSkippedByAMark() {
        #expect(!action(roles: nil, nick: nil).isSatisfied(by: member(roles: [], nick: nil)))
    }
}
