import DiscordWorkerCLI

await RootCommand.runMain()
