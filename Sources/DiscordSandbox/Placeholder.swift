// Placeholder: DiscordSandbox is being written.
