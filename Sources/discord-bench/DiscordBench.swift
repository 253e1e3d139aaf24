// discord-bench: benchmarks and the demo, driving the release binaries (discord-worker,
// discord-sandbox) against a private redis-server and a Discord-like sandbox.

import ArgumentParser

@main
struct DiscordBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discord-bench",
        abstract: "Benchmarks (celery.ping throughput, full sync, scale-out) and the demo of discord-worker. Run `swift build -c release` first.",
        subcommands: [PingBenchmark.self, SyncBenchmark.self, ScaleOutBenchmark.self, LatencyBenchmark.self, Demo.self])
}
