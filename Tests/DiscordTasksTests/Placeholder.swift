import Testing

@Test func placeholderDiscordTasks() {}
