import Testing

@Test func placeholderDiscordSandbox() {}
