import DiscordTasks
import HostDatabase
import Testing

@Suite struct DomainNicknameTests {
    static let main = EveCharacter(
        characterID: 95_465_499, characterName: "Bob Pilot", corporationID: 98_000_001, corporationName: "Bob Corp",
        corporationTicker: "BOBC", allianceID: nil, allianceName: "", allianceTicker: "")

    func profile(main: EveCharacter? = main, format: String? = nil) -> SyncProfile {
        SyncProfile(
            userPK: 1, username: "bob", groupNames: [], stateID: 3, stateName: "Member", mainCharacter: main,
            nicknameFormat: format)
    }

    @Test func truncatesTo32CodePoints() {
        #expect(Nickname.truncate(String(repeating: "a", count: 40)) == String(repeating: "a", count: 32))
        #expect(Nickname.truncate("short") == "short")
        // 30 letters + "👍🏽" (2 code points, 1 Character) + "🚀": the rocket is the 33rd code point.
        let name = String(repeating: "a", count: 30) + "👍🏽🚀"
        #expect(name.count == 32)
        #expect(Nickname.truncate(name) == String(repeating: "a", count: 30) + "👍🏽")
        // A ZWJ family is cut inside, as Python's [:32] does.
        let family = String(repeating: "b", count: 29) + "👨\u{200D}👩\u{200D}👧"
        #expect(Nickname.truncate(family).unicodeScalars.count == 32)
        #expect(Nickname.truncate(family) == String(repeating: "b", count: 29) + "👨\u{200D}👩")
    }

    @Test func noMainCharacterMeansNoNickname() throws {
        #expect(try Nickname.forUser(profile: profile(main: nil, format: "{username}")) == nil)
    }

    @Test func defaultFormatWhenTheStateHasNone() throws {
        #expect(try Nickname.forUser(profile: profile()) == "Bob Pilot")
    }

    @Test func configuredFormatIsUsedStrippedAndTruncated() throws {
        #expect(try Nickname.forUser(profile: profile(format: "[{corp_ticker}] {character_name}")) == "[BOBC] Bob Pilot")
        #expect(try Nickname.forUser(profile: profile(format: "  {alliance_ticker} {character_name}  ")) == "Bob Pilot")
        let long = try Nickname.forUser(profile: profile(format: "{character_name} of {corp_name} ({alliance_or_corp_name}) {username}"))
        #expect(long == "Bob Pilot of Bob Corp (Bob Corp)")
        #expect(long?.unicodeScalars.count == 32)
    }

    @Test func anEmptyResultMeansNoNickname() throws {
        #expect(try Nickname.forUser(profile: profile(format: "{alliance_ticker}")) == nil)
        #expect(try Nickname.forUser(profile: profile(format: "   ")) == nil)
    }

    @Test func aBadFormatThrows() {
        #expect(throws: NicknameFormatError.self) { try Nickname.forUser(profile: profile(format: "{nope}")) }
    }
}
