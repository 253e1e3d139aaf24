import DiscordTasks
import Testing

@Suite struct DomainDiscordUsernameTests {
    @Test func migratedAccountsShowAsAtName() {
        #expect(DiscordUsername.display(username: "bob", discriminator: "0") == "@bob")
        #expect(DiscordUsername.display(username: "bob", discriminator: "") == "@bob")
    }

    @Test func legacyAccountsShowTheDiscriminator() {
        #expect(DiscordUsername.display(username: "Bob", discriminator: "1234") == "Bob#1234")
        #expect(DiscordUsername.display(username: "Bob", discriminator: "0001") == "Bob#0001")
    }
}
