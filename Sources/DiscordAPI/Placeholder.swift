// Placeholder: DiscordAPI is being written.
