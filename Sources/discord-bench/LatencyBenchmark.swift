// `discord-bench latency`: reaction latency of single-user tasks while a bulk sync saturates the same
// buckets (README "Performance"). N users, `discord.update_all` with a fraction of members out of date, and
// meanwhile one `discord.update_groups` enqueued as AA's `DiscordService.update_groups(user)` does
// (kwargs user_pk + state_name, priority 3) every --interval seconds, each for a different member
// whose roles are out of date and that the bulk has not reached yet. Latency of one single task =
// from just before its LPUSH until the sandbox holds the member's desired roles (polled from outside
// through the admin endpoint every 20 ms), plus the sandbox latency (the time Discord's response
// then takes to reach the worker).

import HostDatabaseSQLite
import ArgumentParser
import Broker
import CeleryProtocol
import DiscordSandbox
import Foundation
import HostDatabase
import PythonCompat
import RedisClient
import Synchronization
import TestSupport
import WorkerRuntime

struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Single-user update_groups latency while discord.update_all saturates the buckets.")

    @Option(help: "AA users to generate (about 90% are linked to Discord).")
    var users = 10_000

    @Option(help: "Fraction of linked members made out of date (0...1).")
    var drift = 0.1

    @Option(help: "Seconds between two single-user tasks.")
    var interval = 2.0

    @Option(name: .customLong("latency-ms"), help: "Sandbox latency per API response.")
    var latencyMilliseconds = 50

    @Option(name: .customLong("interactive-share"),
            help: "DISCORD_WORKER_INTERACTIVE_SHARE for the worker (percent; 0 = no priority lane, the 'before').")
    var interactiveShare = 80

    @Option(name: .customLong("bin-dir"), help: "Directory of the release binaries.")
    var binDirectory = ".build/release"

    @Option(name: .customLong("table-file"), help: "Append the markdown row to this file.")
    var tableFile: String?

    @Flag(help: "Keep the temporary directory (database, seed, logs).")
    var keep = false

    func validate() throws {
        guard users > 0 else { throw ValidationError("--users must be > 0") }
        guard drift > 0, drift <= 1 else { throw ValidationError("--drift must be in (0, 1]") }
        guard interval >= 0.1 else { throw ValidationError("--interval must be >= 0.1") }
        guard (0...100).contains(interactiveShare) else { throw ValidationError("--interactive-share must be 0...100") }
    }

    /// One single-user task: whom, and when it was enqueued / seen done.
    struct Single: Sendable {
        var pk: Int64
        var uid: UInt64
        var enqueued: ContinuousClock.Instant
        var landed: ContinuousClock.Instant?
    }

    func run() async throws {
        let binaries = try BenchBinaries(directory: binDirectory)
        let directory = try BenchDirectory(prefix: "bench-latency", keep: keep)
        print("== latency: \(users) users @ \(format(drift * 100, digits: 0))%, one update_groups every \(format(interval, digits: 1)) s, "
            + "interactive share \(interactiveShare)% (latency \(latencyMilliseconds) ms) in \(directory.path)")

        let databasePath = directory.file("aa.sqlite3")
        _ = try AADatabaseBuilder.generate(path: databasePath, users: users, seed: 1)
        let desired = try await BenchGuild.desiredMembers(databasePath: databasePath)
        let guild = BenchGuild.make(desired: desired, driftFraction: drift, driftNicks: true)
        let seedPath = directory.file("seed.json")
        try guild.writeSeed(to: seedPath)
        let stateNames = try await Self.stateNames(databasePath: databasePath)

        // Candidates: members whose roles (only) are out of date, the bulk's last ones first.
        let seeded = Dictionary(guild.seed.members.map { ($0.user.id, $0) }, uniquingKeysWith: { first, _ in first })
        var desiredRoles: [UInt64: Set<UInt64>] = [:]
        var candidates: [DesiredMember] = []
        for member in desired {
            let roles = Set(member.roleNames.compactMap { guild.roleIDs[$0] })
            desiredRoles[member.uid] = roles
            // A member who needs a role the worker creates first is left out: its role id is not known
            // here, so the watcher could never see the member in its desired state.
            guard member.roleNames.allSatisfy({ guild.roleIDs[$0] != nil }) else { continue }
            // The generated database links user pk 1 to the sandbox's own bot user: its member is the bot's.
            guard member.uid != SandboxSeed.defaultBot.id else { continue }
            guard let now = seeded[member.uid], Set(now.roles) != roles, member.nick == nil || now.nick == member.nick else { continue }
            candidates.append(member)
        }
        candidates.sort { $0.userPK > $1.userPK }
        print("database: \(users) users, \(desired.count) linked; out of date: \(guild.changedMembers); "
            + "single-task candidates (roles only): \(candidates.count)")

        let redis = try await RedisServerProcess.start()
        let sandbox = try await SandboxProcess(
            binary: binaries.sandbox, seedPath: seedPath, latencyMilliseconds: latencyMilliseconds, directory: directory)
        var environment = WorkerEnvironment(sandbox: sandbox, redisPort: redis.port, databasePath: databasePath, syncNames: true)
        environment.variables["DISCORD_WORKER_INTERACTIVE_SHARE"] = String(interactiveShare)
        let broker = RedisClient(url: redis.url(db: 0), name: "bench-aa")

        let outcome: (singles: [Single], bulkWall: Double, usage: ProcessUsage, exit: Int32, stderr: String, started: ContinuousClock.Instant)
        do {
            outcome = try await measure(
                binaries: binaries, environment: environment, directory: directory, broker: broker, sandbox: sandbox,
                candidates: candidates, desiredRoles: desiredRoles, stateNames: stateNames)
        } catch {
            await broker.close()
            await sandbox.stop()
            await redis.stop()
            throw error
        }
        let stats = try await sandbox.stats()
        let state = try await sandbox.state()
        await broker.close()
        await sandbox.stop()
        await redis.stop()

        let floor = RateFloor(stats: stats, latencyMilliseconds: latencyMilliseconds)
        let mismatches = BenchGuild.mismatches(desired: desired, state: state, checkNicks: true)
        let response = Double(latencyMilliseconds) / 1000
        let latencies = outcome.singles.compactMap { single in single.landed.map { ($0 - single.enqueued).seconds + response } }.sorted()
        let lost = outcome.singles.count - latencies.count
        print("worker exit \(outcome.exit), bulk wall \(format(outcome.bulkWall)) s, peak RSS \(format(Double(outcome.usage.peakRSS) / 1_048_576, digits: 1)) MB, "
            + "CPU \(format(outcome.usage.cpuSeconds)) s")
        print("requests: \(stats.totalRequests) (\(routeSummary(stats))); 429s \(stats.rateLimited.total); invalid \(stats.invalidRequests)")
        print("floor (all requests sent, bulk and single):\n\(floor.text)")
        print("bulk wall/floor: \(floor.seconds > 0 ? format(outcome.bulkWall / floor.seconds) : "—")")
        print("single tasks: \(outcome.singles.count) enqueued, \(latencies.count) landed, \(lost) not seen within 60 s")
        // The slowest ones with when they were enqueued (seconds after the bulk started): explains a tail.
        func took(_ single: Single) -> Double { single.landed.map { ($0 - single.enqueued).seconds } ?? .infinity }
        let slowest = outcome.singles.sorted { took($0) > took($1) }.prefix(8)
        print("slowest: " + slowest.map { single in
            let at = format((single.enqueued - outcome.started).seconds, digits: 0)
            let took = single.landed.map { format(($0 - single.enqueued).seconds + response) + " s" } ?? "> 60 s"
            return "pk \(single.pk) at +\(at) s: \(took)"
        }.joined(separator: "; "))
        print("mismatches after the run: \(mismatches.count)")
        for line in mismatches.prefix(10) { print("  \(line)") }
        if outcome.exit != 0 { print("worker stderr (tail):\n\(outcome.stderr)") }

        func percentile(_ p: Double) -> String {
            guard !latencies.isEmpty else { return "—" }
            let rank = max(1, Int((p / 100 * Double(latencies.count)).rounded(.up)))
            return format(latencies[min(rank, latencies.count) - 1]) + "s"
        }
        let maxText = lost > 0 ? ">60s" : (latencies.last.map { format($0) + "s" } ?? "—")
        let summary = "p50=\(percentile(50)) p95=\(percentile(95)) p99=\(percentile(99)) max=\(maxText)"
        BenchRow(
            run: "latency \(users) @ \(format(drift * 100, digits: 0))% + single every \(format(interval, digits: 0)) s, lane \(interactiveShare)%: \(summary)"
                + (mismatches.isEmpty ? "" : " (\(mismatches.count) MISMATCHES)"),
            users: "\(users) (\(desired.count))", drift: "\(format(drift * 100, digits: 0))%",
            changed: guild.changedMembers, wall: outcome.bulkWall, floor: floor.seconds,
            rateLimited: stats.rateLimited.total, invalid: stats.invalidRequests, peakRSS: outcome.usage.peakRSS,
            requests: routeSummary(stats), cpuSeconds: outcome.usage.cpuSeconds
        ).emit(tableFile: tableFile)
        print("latency: \(summary) singles=\(outcome.singles.count) bulk_wall=\(format(outcome.bulkWall, digits: 1))s "
            + "bulk_floor=\(format(floor.seconds, digits: 1))s 429=\(stats.rateLimited.total)")
        if !mismatches.isEmpty || outcome.exit != 0 { throw ExitCode(1) }
    }

    private func measure(
        binaries: BenchBinaries, environment: WorkerEnvironment, directory: BenchDirectory, broker: RedisClient,
        sandbox: SandboxProcess, candidates: [DesiredMember], desiredRoles: [UInt64: Set<UInt64>], stateNames: [Int64: String]
    ) async throws -> (singles: [Single], bulkWall: Double, usage: ProcessUsage, exit: Int32, stderr: String, started: ContinuousClock.Instant) {
        _ = try await environment.runCommand(binaries.worker, ["enqueue", "discord.update_all"], directory: directory, name: "enqueue")
        let started = ContinuousClock.now
        let worker = try ChildProcess(
            binaries.worker, ["run", "--exit-when-idle"], environment: environment.variables,
            stdout: directory.file("worker.out"), stderr: directory.file("worker.err"))
        let usage = ProcessUsage.track(worker)

        let singles = Recorder()
        // AA's web process: `update_groups.apply_async(priority=3)`, routed as AA routes discord.* (services).
        let aa = TaskPublisher(sharing: broker, routes: .allianceAuth(), origin: "gen1@aa-web")
        var bulkEnd: ContinuousClock.Instant?
        var next = 0
        var nextEnqueue = started + .seconds(interval)
        await withTaskGroup(of: Void.self) { watchers in
            // Bounded by the bulk's end (or the worker's exit) and by the candidates.
            while worker.isRunning {
                if bulkEnd == nil, let all = try? await BulkProgressReporter.all(redis: broker),
                   all.contains(where: { $0.task == "discord.update_all" && $0.finished }) {
                    bulkEnd = ContinuousClock.now
                    break
                }
                if ContinuousClock.now >= nextEnqueue {
                    nextEnqueue += .seconds(interval)
                    // The next candidate the bulk has not fixed yet.
                    while next < candidates.count {
                        let member = candidates[next]
                        next += 1
                        guard let roles = await Self.memberRoles(sandbox: sandbox, uid: member.uid),
                              roles != desiredRoles[member.uid] else { continue }
                        let enqueued = ContinuousClock.now
                        _ = try? await aa.send(
                            "discord.update_groups",
                            kwargs: ["user_pk": .int(member.userPK), "state_name": stateNames[member.userPK].map(JSONValue.string) ?? .null],
                            priority: 3)
                        let index = singles.list.withLock {
                            $0.append(Single(pk: member.userPK, uid: member.uid, enqueued: enqueued))
                            return $0.count - 1
                        }
                        let target = desiredRoles[member.uid] ?? []
                        watchers.addTask {
                            let deadline = enqueued + .seconds(60)
                            while ContinuousClock.now < deadline {
                                if await Self.memberRoles(sandbox: sandbox, uid: member.uid) == target {
                                    let seen = ContinuousClock.now
                                    singles.list.withLock { $0[index].landed = seen }
                                    return
                                }
                                try? await Task.sleep(for: .milliseconds(20))
                            }
                        }
                        break
                    }
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
            await watchers.waitForAll()
        }
        let code = await worker.wait(timeout: .seconds(7200))
        if code == nil { await worker.killNow() }
        let end = bulkEnd ?? ContinuousClock.now
        let tail = worker.errorOutput().split(separator: "\n").suffix(15).joined(separator: "\n")
        return (singles.list.withLock { $0 }, (end - started).seconds, await usage.value, code ?? -1, tail, started)
    }

    /// The single tasks so far, shared with their watchers.
    final class Recorder: Sendable {
        let list = Mutex<[Single]>([])
    }

    /// The member's role ids in the sandbox (admin endpoint: no latency, no limits, not counted).
    static func memberRoles(sandbox: SandboxProcess, uid: UInt64) async -> Set<UInt64>? {
        guard let reply = try? await HTTP.get(sandbox.adminBase + "members/\(uid)"), reply.status == 200,
              let object = try? JSONSerialization.jsonObject(with: reply.body) as? [String: Any],
              let roles = object["roles"] as? [Any] else { return nil }
        return Set(roles.compactMap { ($0 as? String).flatMap { UInt64($0) } })
    }

    /// user pk → state name (what AA passes as `state_name`).
    static func stateNames(databasePath: String) async throws -> [Int64: String] {
        let database = try SQLiteHostDatabase(path: databasePath)
        let linked: [LinkedUser]
        do { linked = try await database.linkedUsers(pks: nil) } catch { await database.close(); throw error }
        await database.close()
        var names: [Int64: String] = [:]
        for user in linked {
            if let name = user.profile.stateName { names[user.userPK] = name }
        }
        return names
    }
}
