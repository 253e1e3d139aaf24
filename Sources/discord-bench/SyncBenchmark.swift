// `discord-bench sync`: one `discord.update_all` for N users against the sandbox with Discord-like
// limits, a fraction F of members out of date; wall time against the rate-limit floor, 429s, peak RSS,
// correctness of the end state.

import HostDatabaseSQLite
import ArgumentParser
import DiscordSandbox
import Foundation
import HostDatabase
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

    @Flag(name: .customLong("writer-probe"),
          help: "Play AA's web process: a small write transaction every 20 ms on another connection; report the longest lock wait.")
    var writerProbe = false

    func validate() throws {
        guard users > 0 else { throw ValidationError("--users must be > 0") }
        guard (0...1).contains(drift) else { throw ValidationError("--drift must be 0...1") }
        guard latencyMilliseconds >= 0 else { throw ValidationError("--latency-ms must be >= 0") }
        guard !writerProbe || database == .sqlite else {
            throw ValidationError("--writer-probe measures SQLite's file lock: use it with --database sqlite")
        }
    }

    func run() async throws {
        let binaries = try BenchBinaries(directory: binDirectory)
        let directory = try BenchDirectory(prefix: "bench-sync", keep: keep)
        let label = "sync \(users) @ \(format(drift * 100, digits: 0))%" + (database == .sqlite ? "" : " (\(database.rawValue))")
        print("== \(label) (latency \(latencyMilliseconds) ms, sync names \(syncNames)) in \(directory.path)")

        let buildStarted = ContinuousClock.now
        let aa = try await BenchDatabase.generate(database, users: users, seed: seed, directory: directory)
        let buildTime = ContinuousClock.now - buildStarted
        let reader = try await aa.open()
        let desired = try await BenchGuild.desiredMembers(database: reader)
        await reader.close()
        if database == .sqlite {
            // The worker's bulk read, timed on its own: the same code on the same file.
            let readTime = try await Self.timeBulkRead(databasePath: directory.file("aa.sqlite3"))
            print("database built in \(format(buildTime.seconds)) s; the worker's bulk read of \(desired.count) linked users: \(readTime)")
        }
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

        let probe = writerProbe ? try SQLiteWriterProbe(path: directory.file("aa.sqlite3")) : nil
        let outcome: SyncOutcome
        do {
            outcome = try await Self.runUpdateAll(binaries: binaries, environment: environment, directory: directory)
        } catch {
            _ = await probe?.stop()
            await sandbox.stop()
            await redis.stop()
            await aa.stop()
            throw error
        }
        if let probe {
            let result = await probe.stop()
            print("AA-like writer on another connection: \(result.writes) write transactions, longest \(format(result.longest.seconds * 1000, digits: 1)) ms, "
                + "\(result.failures) failed")
        }
        let stats = try await sandbox.stats()
        let state = try await sandbox.state()
        await sandbox.stop()
        await redis.stop()
        await aa.stop()

        let floor = RateFloor(stats: stats, latencyMilliseconds: latencyMilliseconds)
        let mismatches = BenchGuild.mismatches(desired: desired, state: state, checkNicks: syncNames)
        print("worker exit \(outcome.exitCode), wall \(format(outcome.wall)) s, peak RSS \(format(Double(outcome.peakRSS) / 1_048_576, digits: 1)) MB, "
            + "CPU \(format(outcome.cpuSeconds)) s")
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
            requests: routeSummary(stats), cpuSeconds: outcome.cpuSeconds
        ).emit(tableFile: tableFile)
        if !mismatches.isEmpty || outcome.exitCode != 0 { throw ExitCode(1) }
    }

    struct SyncOutcome: Sendable {
        var wall: Double
        var peakRSS: Int
        var cpuSeconds: Double
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
        let sampler = ProcessUsage.track(worker)
        let code = await worker.wait(timeout: .seconds(7200))
        let wall = (ContinuousClock.now - started).seconds
        if code == nil { await worker.killNow() }
        let usage = await sampler.value
        let tail = worker.errorOutput().split(separator: "\n").suffix(15).joined(separator: "\n")
        return SyncOutcome(wall: wall, peakRSS: usage.peakRSS, cpuSeconds: usage.cpuSeconds, exitCode: code ?? -1, stderrTail: tail)
    }

    /// How the worker's bulk read of every linked user goes on this file: total time, and the
    /// longest read transaction (`SQLiteHostDatabase.lastBulkRead`).
    static func timeBulkRead(databasePath: String) async throws -> String {
        let database = try SQLiteHostDatabase(path: databasePath)
        let started = ContinuousClock.now
        let users: [LinkedUser]
        do { users = try await database.linkedUsers(pks: nil) } catch { await database.close(); throw error }
        await database.close()
        let total = ContinuousClock.now - started
        let shape = database.lastBulkRead.map { "\($0.transactions) read transaction(s), the longest \(format($0.longest.seconds * 1000, digits: 1)) ms" } ?? "?"
        return "\(users.count) users in \(format(total.seconds * 1000, digits: 1)) ms, \(shape)"
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
