import Testing

@Test func placeholderDiscordAPI() {}
