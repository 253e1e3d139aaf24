// Placeholder: DiscordWorkerCLI is being written.
