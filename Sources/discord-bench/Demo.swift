// `discord-bench demo`: a 1,000-user Alliance Auth database, a Discord-like sandbox guild with some
// drift and a missing role, `discord.update_all` sent the way AA sends it (a real Celery message from
// Python when the venv is there), one worker, live progress from `discord-worker status --json`, and
// a summary.

import ArgumentParser
import DiscordSandbox
import Foundation
import TestSupport

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Sync a 1,000-user AA database to a Discord-like sandbox guild, with live progress.")

    @Option(help: "AA users to generate (about 90% are linked to Discord).")
    var users = 1000

    @Option(help: "Fraction of linked members made out of date.")
    var drift = 0.02

    @Option(name: .customLong("latency-ms"), help: "Sandbox latency per API response.")
    var latencyMilliseconds = 20

    @Option(name: .customLong("bin-dir"), help: "Directory of the release binaries.")
    var binDirectory = ".build/release"

    @Option(help: "Python with Celery (default: <repo>/.venv/bin/python); without it the CLI enqueues.")
    var python: String?

    @Option(help: "Backend of Alliance Auth's database: sqlite or mariadb (a private mariadbd).")
    var database: BenchDatabaseKind = .sqlite

    @Flag(help: "Keep the temporary directory (database, seed, logs).")
    var keep = false

    static let newGroup = "Fleet Week 2026"

    func run() async throws {
        let binaries = try BenchBinaries(directory: binDirectory)
        let directory = try BenchDirectory(prefix: "discord-demo", keep: keep)
        print("discord-worker demo — working directory \(directory.path)")

        // 1. Alliance Auth's database, plus a new group whose Discord role does not exist yet.
        let aa = try await BenchDatabase.generate(database, users: users, seed: 42, directory: directory)
        let generated = aa.generated
        let groupID = try generated.builder.addGroup(Self.newGroup)
        for pk in generated.linkedUserPKs.prefix(12) {
            try generated.builder.execute(sql: "INSERT INTO auth_user_groups (user_id, group_id) VALUES (\(pk), \(groupID))")
        }
        let reader = try await aa.open()
        let desired = try await BenchGuild.desiredMembers(database: reader)
        await reader.close()
        let guild = BenchGuild.make(desired: desired, driftFraction: drift, absentRoleNames: [Self.newGroup])
        let seedPath = directory.file("seed.json")
        try guild.writeSeed(to: seedPath)
        print("AA database (\(database.rawValue)): \(users) users, \(desired.count) linked to Discord")
        print("Discord guild: \(guild.roleIDs.count) roles (\"\(Self.newGroup)\" missing), \(guild.changedMembers) members out of date")

        // 2. Redis and the sandbox.
        let redis = try await RedisServerProcess.start()
        let sandbox = try await SandboxProcess(
            binary: binaries.sandbox, seedPath: seedPath, latencyMilliseconds: latencyMilliseconds, directory: directory)
        print("redis-server on 127.0.0.1:\(redis.port); Discord sandbox (Discord-like limits, \(latencyMilliseconds) ms latency) on 127.0.0.1:\(sandbox.port)")
        let environment = WorkerEnvironment(sandbox: sandbox, redisPort: redis.port, databaseURL: aa.url, syncNames: true)

        do {
            try await demo(binaries: binaries, environment: environment, directory: directory, sandbox: sandbox,
                           guild: guild, desired: desired, redisPort: redis.port)
        } catch {
            await sandbox.stop()
            await redis.stop()
            await aa.stop()
            throw error
        }
        await sandbox.stop()
        await redis.stop()
        await aa.stop()
    }

    private func demo(
        binaries: BenchBinaries, environment: WorkerEnvironment, directory: BenchDirectory, sandbox: SandboxProcess,
        guild: BenchGuild, desired: [DesiredMember], redisPort: Int
    ) async throws {
        // 3. The task, as AA enqueues it.
        try await enqueue(binaries: binaries, environment: environment, directory: directory, redisPort: redisPort)

        // 4. The worker, with live progress.
        let started = ContinuousClock.now
        let worker = try ChildProcess(
            binaries.worker, ["run", "--exit-when-idle"], environment: environment.variables,
            stdout: directory.file("worker.out"), stderr: directory.file("worker.err"))
        var lastLine = ""
        while worker.isRunning {
            try await Task.sleep(for: .seconds(1))
            guard worker.isRunning else { break }
            let elapsed = (ContinuousClock.now - started).seconds
            if let line = await progressLine(binaries: binaries, environment: environment, directory: directory),
                line != lastLine || Int(elapsed) % 10 == 0
            {
                print("[\(format(elapsed, digits: 0)) s] \(line)")
                lastLine = line
            }
        }
        let code = await worker.wait(timeout: .seconds(10)) ?? -1
        let wall = (ContinuousClock.now - started).seconds

        // 5. Summary.
        let stats = try await sandbox.stats()
        let state = try await sandbox.state()
        let mismatches = BenchGuild.mismatches(desired: desired, state: state)
        let created = state.roles.contains { $0.name == Self.newGroup }
        print("")
        print("Summary")
        print("  worker exit code:    \(code)")
        print("  wall time:           \(format(wall, digits: 1)) s")
        print("  members changed:     \(guild.changedMembers) of \(desired.count) (out of date before the run)")
        print("  role created:        \(created ? "\"\(Self.newGroup)\"" : "NO")")
        print("  members in sync now: \(desired.count - Set(mismatches.map { $0.split(separator: ":")[0] }).count) of \(desired.count)")
        print("  requests per route:  \(routeSummary(stats))")
        print("  429 responses:       \(stats.rateLimited.total); invalid requests \(stats.invalidRequests)")
        print("  rate-limit floor:    \(format(RateFloor(stats: stats, latencyMilliseconds: latencyMilliseconds).seconds, digits: 1)) s")
        if code != 0 || !mismatches.isEmpty {
            for line in mismatches.prefix(5) { print("  mismatch: \(line)") }
            print(worker.errorOutput().split(separator: "\n").suffix(10).joined(separator: "\n"))
            throw ExitCode(1)
        }
    }

    /// Sends `discord.update_all` the way AA's `update_all.delay()` does: a Celery app with AA's
    /// routing (`discord.*` → `services`), priority steps 0..9 and default priority 5. Falls back to
    /// `discord-worker enqueue`, which produces the same bytes.
    private func enqueue(
        binaries: BenchBinaries, environment: WorkerEnvironment, directory: BenchDirectory, redisPort: Int
    ) async throws {
        let python = python ?? BenchRepository.root + "/.venv/bin/python"
        if FileManager.default.isExecutableFile(atPath: python) {
            let script = directory.file("enqueue.py")
            try Self.celeryScript.write(toFile: script, atomically: true, encoding: .utf8)
            let process = try ChildProcess(
                python, [script, "redis://127.0.0.1:\(redisPort)/0"],
                stdout: directory.file("enqueue.out"), stderr: directory.file("enqueue.err"))
            if await process.wait(timeout: .seconds(60)) == 0 {
                print("enqueued discord.update_all from Python Celery (like AA's update_all.delay()): id \(process.output().trimmingCharacters(in: .whitespacesAndNewlines))")
                return
            }
            print("Python Celery could not enqueue (\(process.errorOutput().split(separator: "\n").last ?? "")); using discord-worker enqueue")
        }
        let id = try await environment.runCommand(binaries.worker, ["enqueue", "discord.update_all"], directory: directory, name: "enqueue")
        print("enqueued discord.update_all with discord-worker enqueue: id \(id.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    private func progressLine(binaries: BenchBinaries, environment: WorkerEnvironment, directory: BenchDirectory) async -> String? {
        guard let output = try? await environment.runCommand(binaries.worker, ["status", "--json"], directory: directory, name: "status"),
            let object = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        else { return nil }
        let inFlight = object["in_flight"] as? Int ?? 0
        guard let bulk = (object["bulk"] as? [[String: Any]])?.last else {
            // No progress in `status` (yet): the worker's own log line, if any.
            let log = (try? String(contentsOfFile: directory.file("worker.err"), encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").last(where: { $0.contains("bulk sync") }),
                let message = line.split(separator: ": ", maxSplits: 1).last
            {
                return "worker log: " + message
            }
            return "waiting (in flight \(inFlight))"
        }
        let done = bulk["done"] as? Int ?? 0
        let total = bulk["total"] as? Int ?? 0
        let changed = bulk["changed"] as? Int ?? 0
        let failed = bulk["failed"] as? Int ?? 0
        let eta = (bulk["eta_seconds"] as? Double).map { "ETA \(format($0, digits: 0)) s" } ?? ""
        let finished = bulk["finished"] as? Bool ?? false
        return "\(bulk["task"] as? String ?? "bulk"): \(done)/\(total) done, \(changed) changed, \(failed) failed \(finished ? "(finished)" : eta)"
    }

    static let celeryScript = """
        # discord.update_all as Alliance Auth sends it: update_all.delay() with AA's Celery settings.
        import sys
        from celery import Celery

        app = Celery("myauth", broker=sys.argv[1])
        app.conf.update(
            task_routes={"discord.*": {"queue": "services"}},
            broker_transport_options={"priority_steps": list(range(10)), "queue_order_strategy": "priority"},
            task_default_priority=5,
            task_serializer="json",
            accept_content=["json"],
            enable_utc=True,
        )
        result = app.send_task("discord.update_all")
        print(result.id)

        """
}
