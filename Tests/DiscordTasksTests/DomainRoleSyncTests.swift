import DiscordTasks
import Testing

@Suite struct DomainRoleSyncTests {
    static let guildID: UInt64 = 1000
    static let botTop = 10
    static let roles = [
        GuildRoleInfo(id: 1000, name: "@everyone", position: 0, managed: false),
        GuildRoleInfo(id: 11, name: "Member", position: 1, managed: false),
        GuildRoleInfo(id: 12, name: "Blue", position: 2, managed: false),
        GuildRoleInfo(id: 13, name: "Logistics", position: 3, managed: false),
        GuildRoleInfo(id: 14, name: "Scouts", position: 4, managed: false),
        GuildRoleInfo(id: 15, name: "Nitro Booster", position: 5, managed: true),
        GuildRoleInfo(id: 16, name: "Discord Admins", position: 6, managed: false),
        GuildRoleInfo(id: 19, name: "Dup", position: 7, managed: false),
        GuildRoleInfo(id: 20, name: "Dup", position: 3, managed: false),
        GuildRoleInfo(id: 17, name: "AA Bot", position: 10, managed: true),
        GuildRoleInfo(id: 21, name: "Overlord", position: 10, managed: false),
        GuildRoleInfo(id: 18, name: "Leadership", position: 12, managed: false),
        GuildRoleInfo(id: 22, name: "Fleet Commanders 🚀", position: 8, managed: false),
        GuildRoleInfo(id: 23, name: String(repeating: "L", count: 100), position: 9, managed: false),
    ]

    func plan(_ desired: Set<String>, member: [UInt64], reserved: [String] = ["discord admins"]) -> RolePlan {
        RoleSync.plan(
            desiredNames: desired, guildRoles: Self.roles, memberRoleIDs: member, reservedNames: reserved,
            botTopPosition: Self.botTop, guildID: Self.guildID)
    }

    @Test func noChangeWhenTheMemberHasExactlyTheRoles() {
        let result = plan(["Member", "Logistics"], member: [13, 11])
        #expect(!result.needsChange)
        #expect(result.finalRoleIDs == [11, 13])
        #expect(result.added.isEmpty && result.removed.isEmpty)
        #expect(result.missingNames.isEmpty && result.unassignable.isEmpty)
    }

    @Test func addsAndRemoves() {
        let result = plan(["Member", "Scouts"], member: [11, 13])
        #expect(result.needsChange)
        #expect(result.added == [14])
        #expect(result.removed == [13])
        #expect(result.sortedFinalRoleIDs == [11, 14])
    }

    @Test func missingNamesAreListedSortedAndTheRestStillPlanned() {
        let result = plan(["Member", "Zeta Group", "Alpha Group"], member: [])
        #expect(result.missingNames == ["Alpha Group", "Zeta Group"])
        #expect(result.finalRoleIDs == [11])
        #expect(result.added == [11])
        #expect(result.needsChange)
    }

    @Test func nameMatchingIsExactAndCaseSensitive() {
        let result = plan(["member"], member: [11])
        #expect(result.missingNames == ["member"])
        #expect(result.removed == [11])
    }

    @Test func reservedRolesAreKeptCaseInsensitively() {
        let result = plan(["Member"], member: [11, 16])
        #expect(result.persistentRoleIDs == [16])
        #expect(result.finalRoleIDs == [11, 16])
        #expect(!result.needsChange)
        let removing = plan(["Member"], member: [11, 16, 13])
        #expect(removing.removed == [13])
        #expect(removing.finalRoleIDs == [11, 16])
        // Without the reservation the role goes.
        #expect(plan(["Member"], member: [11, 16], reserved: []).removed == [16])
    }

    @Test func reservedNamesAreTruncatedTo100BeforeComparing() {
        let result = plan(["Member"], member: [11, 23], reserved: [String(repeating: "l", count: 120)])
        #expect(result.persistentRoleIDs == [23])
        #expect(!result.needsChange)
    }

    @Test func managedRolesAreKeptAndNeverAdded() {
        let kept = plan(["Member"], member: [11, 15])
        #expect(kept.persistentRoleIDs == [15])
        #expect(!kept.needsChange)
        let wanted = plan(["Member", "Nitro Booster"], member: [11])
        #expect(wanted.unassignable == ["Nitro Booster"])
        #expect(wanted.finalRoleIDs == [11])
        #expect(!wanted.needsChange)
    }

    @Test func rolesAtOrAboveTheBotAreKeptAndTheRestStillSynced() {
        let result = plan(["Member"], member: [11, 18, 21, 13])
        #expect(result.persistentRoleIDs == [18, 21])
        #expect(result.finalRoleIDs == [11, 18, 21])
        #expect(result.removed == [13])
        #expect(result.needsChange)
    }

    @Test func rolesAtOrAboveTheBotAreNeverAdded() {
        let result = plan(["Member", "Leadership", "Overlord", "Scouts"], member: [11])
        #expect(result.unassignable == ["Leadership", "Overlord"])
        #expect(result.added == [14])
        #expect(!result.finalRoleIDs.contains(18) && !result.finalRoleIDs.contains(21))
        // Held already: kept, not reported.
        let held = plan(["Member", "Leadership"], member: [11, 18])
        #expect(held.unassignable.isEmpty)
        #expect(!held.needsChange)
    }

    @Test func unknownMemberRoleIDsAndEveryoneAreDropped() {
        let result = plan(["Member"], member: [11, 999, 1000])
        #expect(result.unknownMemberRoleIDs == [999])
        #expect(result.currentRoleIDs == [11])
        #expect(result.finalRoleIDs == [11])
        #expect(!result.needsChange)
    }

    @Test func everyoneIsHeldImplicitly() {
        let result = plan(["@everyone", "Member"], member: [11])
        #expect(result.missingNames.isEmpty)
        #expect(result.finalRoleIDs == [11])
        #expect(!result.needsChange)
    }

    @Test func duplicateNamesPreferTheHeldRoleThenTheLowestAssignable() {
        #expect(plan(["Dup"], member: []).finalRoleIDs == [20])
        let held = plan(["Dup"], member: [19])
        #expect(held.finalRoleIDs == [19])
        #expect(!held.needsChange)
        let both = plan(["Dup"], member: [19, 20])
        #expect(both.finalRoleIDs == [20])
        #expect(both.removed == [19])
    }

    @Test func neverClearsAllRolesAsAARefusesTo() {
        let result = plan(["Not There"], member: [13])
        #expect(result.finalRoleIDs.isEmpty)
        #expect(result.refusesToClearAllRoles)
        #expect(!result.needsChange)
        let nothing = plan(["Not There"], member: [])
        #expect(!nothing.refusesToClearAllRoles)
        #expect(!nothing.needsChange)
    }

    @Test func emojiAndTruncatedLongNamesMatchExactly() {
        let long = String(repeating: "L", count: 107)
        let desired = RoleNames.calculate(groupNames: ["Fleet Commanders 🚀", long], stateName: "Member")
        let result = plan(desired, member: [])
        #expect(result.missingNames.isEmpty)
        #expect(result.finalRoleIDs == [11, 22, 23])
    }

    @Test func aDesiredRoleThatIsAlsoPersistentNeedsNoRequest() {
        // AA would PATCH here (its check compares calculated with current − persistent).
        let result = plan(["Member", "Discord Admins"], member: [11, 16])
        #expect(!result.needsChange)
    }

    @Test func thePreparedIndexGivesTheSamePlan() {
        let index = GuildRoleIndex(
            roles: Self.roles, guildID: Self.guildID, botTopPosition: Self.botTop, reservedNames: ["discord admins"])
        for (desired, member) in [(Set(["Member", "Scouts"]), [UInt64(11), 13]), (["Dup", "Leadership"], [16, 18])] {
            #expect(RoleSync.plan(desiredNames: desired, memberRoleIDs: member, index: index) == plan(desired, member: member))
        }
        #expect(index.role(id: 17)?.managed == true)
        #expect(index.isAssignable(Self.roles[1]))
        #expect(!index.isAssignable(Self.roles[0]))
    }

    @Test func aGuildOwnerBotHasNoCeiling() {
        let result = RoleSync.plan(
            desiredNames: ["Leadership"], guildRoles: Self.roles, memberRoleIDs: [], reservedNames: [],
            botTopPosition: Int.max, guildID: Self.guildID)
        #expect(result.added == [18])
    }
}
