import DiscordTasks
import Testing

@Suite struct DomainRoleNamesTests {
    @Test func groupsPlusStateAsASet() {
        let names = RoleNames.calculate(groupNames: ["Logistics", "Scouts", "Logistics"], stateName: "Member")
        #expect(names == ["Logistics", "Scouts", "Member"])
    }

    @Test func stateNameArgumentWinsWhenNonEmpty() {
        #expect(RoleNames.calculate(groupNames: [], stateName: "Guest", profileStateName: "Member") == ["Guest"])
        #expect(RoleNames.calculate(groupNames: [], stateName: "", profileStateName: "Member") == ["Member"])
        #expect(RoleNames.calculate(groupNames: [], stateName: nil, profileStateName: "Blue") == ["Blue"])
        #expect(RoleNames.calculate(groupNames: ["G"], stateName: nil, profileStateName: nil) == ["G"])
    }

    @Test func emojiNamesAreKeptWhole() {
        #expect(RoleNames.calculate(groupNames: ["Fleet Commanders 🚀", "👨‍👩‍👧 Families"], stateName: "Member")
            == ["Fleet Commanders 🚀", "👨‍👩‍👧 Families", "Member"])
    }

    @Test func longNamesAreTruncatedTo100CodePoints() {
        let long = String(repeating: "x", count: 120)
        #expect(RoleNames.calculate(groupNames: [long], stateName: nil) == [String(repeating: "x", count: 100)])
        // 99 letters then an emoji with a skin tone (2 code points): the modifier is cut off, as in Python.
        let emoji = String(repeating: "y", count: 99) + "👍🏽"
        #expect(RoleNames.truncate(emoji) == String(repeating: "y", count: 99) + "👍")
        #expect(RoleNames.truncate(emoji).unicodeScalars.count == 100)
    }

    @Test func namesEqualAfterTruncationCollapse() {
        let base = String(repeating: "z", count: 100)
        let names = RoleNames.calculate(groupNames: [base + "A", base + "B", base], stateName: "Member")
        #expect(names == [base, "Member"])
    }

    @Test func emptyNamesAreLeftOut() {
        #expect(RoleNames.calculate(groupNames: ["", "G"], stateName: "", profileStateName: "") == ["G"])
    }

    @Test func caseMatters() {
        #expect(RoleNames.calculate(groupNames: ["member"], stateName: "Member") == ["member", "Member"])
    }
}
