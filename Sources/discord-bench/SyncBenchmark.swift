// `discord-bench sync`: one `discord.update_all` for N users against the sandbox with Discord-like
// limits, a fraction F of members out of date; wall time against the rate-limit floor, 429s, peak RSS,
// correctness of the end state.

import ArgumentParser
import DiscordSandbox
import Foundation
import TestSupport

struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Full sync (discord.update_all) against the sandbox: wall time vs the rate-limit floor.")

    @Option(help: "AA users to generate (about 90% are linked to Discord).")
    var users = 10_000

    @Option(help: "Fraction of linked members made out of date (0...1).")
    var drift = 0.01

    @Option(name: .customLong("latency-ms"), help: "Sandbox latency per API response.")
    var latencyMilliseconds = 50

    @Option(name: .customLong("sync-names"), help: "DISCORD_SYNC_NAMES for the worker (true/false).")
    var syncNames = true

    @Option(name: .customLong("bin-dir"), help: "Directory of the release binaries.")
    var binDirectory = ".build/release"

    @Option(help: "Seed of the generated AA database.")
    var seed: UInt64 = 1

    @Option(name: .customLong("table-file"), help: "Append the markdown row to this file.")
    var tableFile: String?

    @Option(help: "Backend of the generated AA database: sqlite or mariadb (a private mariadbd).")
    var database: BenchDatabaseKind = .sqlite

    @Flag(help: "Keep the temporary directory (database, seed, logs).")
    var keep = false

    func validate() throws {
        guard users > 0 else { throw ValidationError("--users must be > 0") }
        guard (0...1).contains(drift) else { throw ValidationError("--drift must be 0...1") }
        guard latencyMilliseconds >= 0 else { throw ValidationError("--latency-ms must be >= 0") }
    }

    func run() async throws {
        let binaries = try BenchBinaries(directory: binDirectory)
        let directory = try BenchDirectory(prefix: "bench-sync", keep: keep)
        let label = "sync \(users) @ \(format(drift * 100, digits: 0))%" + (database == .sqlite ? "" : " (\(database.rawValue))")
        print("== \(label) (latency \(latencyMilliseconds) ms, sync names \(syncNames)) in \(directory.path)")

        let aa = try await BenchDatabase.generate(database, users: users, seed: seed, directory: directory)
        let reader = try await aa.open()
        let desired = try await BenchGuild.desiredMembers(database: reader)
        await reader.close()
        let guild = BenchGuild.make(desired: desired, driftFraction: drift, driftNicks: syncNames)
        let seedPath = directory.file("seed.json")
        try guild.writeSeed(to: seedPath)
        print("database: \(users) users, \(desired.count) linked; guild: \(guild.roleIDs.count) roles; out of date: "
            + "\(guild.changedMembers) (\(guild.drift.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")))")

        let redis = try await RedisServerProcess.start()
        let sandbox = try await SandboxProcess(
            binary: binaries.sandbox, seedPath: seedPath, latencyMilliseconds: latencyMilliseconds, directory: directory)
        let environment = WorkerEnvironment(
            sandbox: sandbox, redisPort: redis.port, databaseURL: aa.url, syncNames: syncNames)

        let outcome: SyncOutcome
        do {
            outcome = try await Self.runUpdateAll(binaries: binaries, environment: environment, directory: directory)
        } catch {
            await sandbox.stop()
            await redis.stop()
            await aa.stop()
            throw error
        }
        let stats = try await sandbox.stats()
        let state = try await sandbox.state()
        await sandbox.stop()
        await redis.stop()
        await aa.stop()

        let floor = RateFloor(stats: stats, latencyMilliseconds: latencyMilliseconds)
        let mismatches = BenchGuild.mismatches(desired: desired, state: state, checkNicks: syncNames)
        print("worker exit \(outcome.exitCode), wall \(format(outcome.wall)) s, peak RSS \(format(Double(outcome.peakRSS) / 1_048_576, digits: 1)) MB")
        print("requests: \(stats.totalRequests) (\(routeSummary(stats))); 429s \(stats.rateLimited.total); invalid \(stats.invalidRequests); peak concurrency \(stats.peakConcurrency)")
        print("floor:\n\(floor.text)")
        print("wall/floor: \(floor.seconds > 0 ? format(outcome.wall / floor.seconds) : "—")")
        print("changed members expected: \(guild.changedMembers); mismatches after the run: \(mismatches.count)")
        for line in mismatches.prefix(10) { print("  \(line)") }
        if outcome.exitCode != 0 { print("worker stderr (tail):\n\(outcome.stderrTail)") }

        BenchRow(
            run: label + (mismatches.isEmpty ? "" : " (\(mismatches.count) MISMATCHES)"),
            users: "\(users) (\(desired.count))", drift: "\(format(drift * 100, digits: 0))%",
            changed: guild.changedMembers, wall: outcome.wall, floor: floor.seconds,
            rateLimited: stats.rateLimited.total, invalid: stats.invalidRequests, peakRSS: outcome.peakRSS,
            requests: routeSummary(stats)
        ).emit(tableFile: tableFile)
        if !mismatches.isEmpty || outcome.exitCode != 0 { throw ExitCode(1) }
    }

    struct SyncOutcome: Sendable {
        var wall: Double
        var peakRSS: Int
        var exitCode: Int32
        var stderrTail: String
    }

    /// Enqueues `discord.update_all` with the CLI, then times one `run --exit-when-idle`.
    static func runUpdateAll(
        binaries: BenchBinaries, environment: WorkerEnvironment, directory: BenchDirectory
    ) async throws -> SyncOutcome {
        _ = try await environment.runCommand(binaries.worker, ["enqueue", "discord.update_all"], directory: directory, name: "enqueue")
        let started = ContinuousClock.now
        let worker = try ChildProcess(
            binaries.worker, ["run", "--exit-when-idle"], environment: environment.variables,
            stdout: directory.file("worker.out"), stderr: directory.file("worker.err"))
        let sampler = RSSSampler.track(worker)
        let code = await worker.wait(timeout: .seconds(7200))
        let wall = (ContinuousClock.now - started).seconds
        if code == nil { await worker.killNow() }
        let peak = await sampler.value
        let tail = worker.errorOutput().split(separator: "\n").suffix(15).joined(separator: "\n")
        return SyncOutcome(wall: wall, peakRSS: peak, exitCode: code ?? -1, stderrTail: tail)
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
