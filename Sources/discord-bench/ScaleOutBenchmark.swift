// `discord-bench scaleout`: W worker processes drain T single-user `discord.update_groups` tasks
// (every user out of date) sharing Discord's limits through Redis: wall vs floor, 429s.

import ArgumentParser
import DiscordSandbox
import Foundation
import RedisClient
import TestSupport

struct ScaleOutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaleout",
        abstract: "W workers drain T single-user update_groups tasks sharing the limits through Redis.")

    @Option(help: "Worker processes.")
    var workers = 4

    @Option(help: "Single-user discord.update_groups messages (each user needs a change).")
    var tasks = 1000

    @Option(name: .customLong("latency-ms"), help: "Sandbox latency per API response.")
    var latencyMilliseconds = 50

    @Option(name: .customLong("bin-dir"), help: "Directory of the release binaries.")
    var binDirectory = ".build/release"

    @Option(name: .customLong("table-file"), help: "Append the markdown row to this file.")
    var tableFile: String?

    @Flag(help: "Keep the temporary directory (database, seed, logs).")
    var keep = false

    func validate() throws {
        guard workers > 0, workers <= 64 else { throw ValidationError("--workers must be 1...64") }
        guard tasks > 0 else { throw ValidationError("--tasks must be > 0") }
    }

    func run() async throws {
        let binaries = try BenchBinaries(directory: binDirectory)
        let directory = try BenchDirectory(prefix: "bench-scaleout", keep: keep)
        let label = "scaleout \(workers) workers × \(tasks) tasks"
        print("== \(label) (latency \(latencyMilliseconds) ms) in \(directory.path)")

        // ~90% of generated users are linked: generate enough for `tasks` linked users.
        let databasePath = directory.file("aa.sqlite3")
        _ = try AADatabaseBuilder.generate(path: databasePath, users: tasks * 12 / 10 + 20, seed: 7)
        let all = try await BenchGuild.desiredMembers(databasePath: databasePath)
        guard all.count >= tasks else { throw BenchError("only \(all.count) linked users for \(tasks) tasks") }
        let desired = Array(all.prefix(tasks))
        // Every member out of date in its roles (update_groups does not touch nicknames).
        let guild = BenchGuild.make(
            desired: desired, driftFraction: 1, kinds: [.missingRole, .several, .extraRole, .several], driftNicks: false)
        let seedPath = directory.file("seed.json")
        try guild.writeSeed(to: seedPath)
        print("guild: \(guild.roleIDs.count) roles, \(desired.count) members out of date "
            + "(\(guild.drift.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")))")

        let redis = try await RedisServerProcess.start()
        let sandbox = try await SandboxProcess(
            binary: binaries.sandbox, seedPath: seedPath, latencyMilliseconds: latencyMilliseconds, directory: directory)
        let environment = WorkerEnvironment(
            sandbox: sandbox, redisPort: redis.port, databasePath: databasePath, syncNames: false)

        // Plain JSON messages (an accepted form, README "How work gets enqueued"), pushed in one command.
        let client = RedisClient(url: redis.url(db: 0), name: "bench")
        var command: [RedisArgument] = [RedisArgument("LPUSH"), RedisArgument("services")]
        for member in desired {
            command.append(RedisArgument("{\"task\": \"discord.update_groups\", \"args\": [\(member.userPK)], \"kwargs\": {}}"))
        }
        _ = try await client.command(command)
        await client.close()

        let started = ContinuousClock.now
        var processes: [ChildProcess] = []
        for index in 0..<workers {
            processes.append(try ChildProcess(
                binaries.worker, ["run", "--exit-when-idle"], environment: environment.variables,
                stdout: directory.file("worker\(index).out"), stderr: directory.file("worker\(index).err")))
        }
        let samplers = processes.map(RSSSampler.track)
        var codes: [Int32] = []
        for process in processes {
            let code = await process.wait(timeout: .seconds(7200))
            if code == nil { await process.killNow() }
            codes.append(code ?? -1)
        }
        let wall = (ContinuousClock.now - started).seconds
        var peak = 0
        for sampler in samplers { peak = max(peak, await sampler.value) }

        let stats = try await sandbox.stats()
        let state = try await sandbox.state()
        await sandbox.stop()
        await redis.stop()

        let floor = RateFloor(stats: stats, latencyMilliseconds: latencyMilliseconds)
        let mismatches = BenchGuild.mismatches(desired: desired, state: state, checkNicks: false)
        print("workers exit \(codes), wall \(format(wall)) s, peak RSS per worker \(format(Double(peak) / 1_048_576, digits: 1)) MB")
        print("requests: \(stats.totalRequests) (\(routeSummary(stats))); 429s \(stats.rateLimited.total); invalid \(stats.invalidRequests); peak concurrency \(stats.peakConcurrency)")
        print("floor:\n\(floor.text)")
        print("wall/floor: \(floor.seconds > 0 ? format(wall / floor.seconds) : "—"); throughput \(format(Double(tasks) / wall)) tasks/s")
        print("mismatches after the run: \(mismatches.count)")
        for line in mismatches.prefix(10) { print("  \(line)") }
        for (index, code) in codes.enumerated() where code != 0 {
            print("worker \(index) stderr (tail):\n" + processes[index].errorOutput().split(separator: "\n").suffix(10).joined(separator: "\n"))
        }

        BenchRow(
            run: label + (mismatches.isEmpty ? "" : " (\(mismatches.count) MISMATCHES)"),
            users: "\(tasks) (\(tasks))", drift: "100%", changed: guild.changedMembers, wall: wall, floor: floor.seconds,
            rateLimited: stats.rateLimited.total, invalid: stats.invalidRequests, peakRSS: peak,
            requests: routeSummary(stats)
        ).emit(tableFile: tableFile)
        if !mismatches.isEmpty || codes.contains(where: { $0 != 0 }) { throw ExitCode(1) }
    }
}
