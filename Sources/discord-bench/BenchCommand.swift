import ArgumentParser

/// discord-bench: benchmarks of discord-worker (not tests). Each subcommand starts what it needs (a private
/// redis-server, Python Celery, the release binary) and prints its numbers:
///
///     swift build -c release --product discord-worker --product discord-bench
///     .build/release/discord-bench ping
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discord-bench",
        abstract: "Benchmarks of discord-worker (run `swift build -c release` first).",
        subcommands: [PingBenchmark.self])
}
