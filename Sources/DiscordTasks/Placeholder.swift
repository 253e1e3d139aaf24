// Placeholder: DiscordTasks is being written.
