// Shared equipment of the benchmarks and the demo: the release binaries, the sandbox process and its
// admin endpoints, the worker's environment, RSS sampling, the rate-limit floor and the report row.

import DiscordSandbox
import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The repository this file belongs to (for the schema, the venv and default paths).
enum BenchRepository {
    static var root: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // discord-bench
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent().path
    }
}

/// The release binaries the benchmarks drive.
struct BenchBinaries: Sendable {
    var worker: String
    var sandbox: String

    init(directory: String) throws {
        let dir = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        worker = dir + "/discord-worker"
        sandbox = dir + "/discord-sandbox"
        for path in [worker, sandbox] where !FileManager.default.isExecutableFile(atPath: path) {
            throw BenchError(
                "\(path) is missing: build it first (swift build -c release --product discord-worker; "
                    + "swift build -c release --product discord-sandbox) or pass --bin-dir")
        }
    }
}

/// A temporary working directory, removed at the end unless asked to keep it.
final class BenchDirectory: Sendable {
    let path: String
    let keep: Bool

    init(prefix: String, keep: Bool) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))").path
        self.keep = keep
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        if !keep { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// The sandbox binary on a free loopback port, seeded from a file.
final class SandboxProcess: Sendable {
    let process: ChildProcess
    let port: Int
    var apiBase: String { "http://127.0.0.1:\(port)/api/v10/" }
    var adminBase: String { "http://127.0.0.1:\(port)/_sandbox/" }

    init(binary: String, seedPath: String, latencyMilliseconds: Int, profile: String = "discord", directory: BenchDirectory)
        async throws
    {
        port = try Loopback.freePort()
        process = try ChildProcess(
            binary,
            [
                "--port", String(port), "--profile", profile, "--latency-ms", String(latencyMilliseconds),
                "--seed", seedPath, "--bot-token", BenchGuild.botToken, "--guild-id", String(BenchGuild.guildID),
            ],
            stdout: directory.file("sandbox.out"), stderr: directory.file("sandbox.err"))
        let admin = adminBase
        let process = process
        try await waitUntil(timeout: .seconds(60), interval: .milliseconds(50), "the sandbox on port \(port)") {
            guard process.isRunning else {
                throw BenchError("the sandbox exited: \(process.errorOutput())")
            }
            return (try? await HTTP.get(admin + "health"))?.status == 200
        }
    }

    func stats() async throws -> SandboxStats {
        let reply = try await HTTP.get(adminBase + "stats")
        return try JSONDecoder().decode(SandboxStats.self, from: reply.body)
    }

    func state() async throws -> SandboxSeed {
        let reply = try await HTTP.get(adminBase + "state")
        return try JSONDecoder().decode(SandboxSeed.self, from: reply.body)
    }

    func stop() async { await process.terminate() }
}

/// Minimal HTTP for the sandbox's admin endpoints (loopback only).
enum HTTP {
    struct Reply: Sendable {
        var status: Int
        var body: Data
    }

    static func get(_ url: String) async throws -> Reply {
        guard let target = URL(string: url) else { throw BenchError("bad URL \(url)") }
        var request = URLRequest(url: target)
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}

/// The worker's environment for a run against a sandbox and a redis-server.
struct WorkerEnvironment: Sendable {
    var variables: [String: String]

    init(sandbox: SandboxProcess, redisPort: Int, databasePath: String, syncNames: Bool, concurrency: Int? = nil) {
        self.init(sandbox: sandbox, redisPort: redisPort, databaseURL: "sqlite:///" + databasePath, syncNames: syncNames,
                  concurrency: concurrency)
    }

    init(sandbox: SandboxProcess, redisPort: Int, databaseURL: String, syncNames: Bool, concurrency: Int? = nil) {
        var env: [String: String] = [:]
        let inherited = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG", "TMPDIR"] { if let value = inherited[key] { env[key] = value } }
        env["DISCORD_GUILD_ID"] = String(BenchGuild.guildID)
        env["DISCORD_BOT_TOKEN"] = BenchGuild.botToken
        env["DISCORD_API_BASE_URL"] = sandbox.apiBase
        env["DISCORD_SYNC_NAMES"] = syncNames ? "True" : "False"
        env["BROKER_URL"] = "redis://127.0.0.1:\(redisPort)/0"
        env["CACHE_URL"] = "redis://127.0.0.1:\(redisPort)/1"
        env["DATABASE_URL"] = databaseURL  // sqlite: an absolute path, sqlite:////abs
        if let concurrency { env["DISCORD_WORKER_CONCURRENCY"] = String(concurrency) }
        if let level = inherited["DISCORD_WORKER_LOG_LEVEL"] { env["DISCORD_WORKER_LOG_LEVEL"] = level }
        variables = env
    }

    /// Runs `discord-worker ARGS` to completion and returns its stdout (throws on a non-zero exit).
    func runCommand(_ worker: String, _ arguments: [String], directory: BenchDirectory, name: String) async throws -> String {
        let process = try ChildProcess(
            worker, arguments, environment: variables, stdout: directory.file("\(name).out"),
            stderr: directory.file("\(name).err"))
        let code = await process.wait(timeout: .seconds(120))
        guard code == 0 else {
            throw BenchError("discord-worker \(arguments.joined(separator: " ")) exited \(code.map(String.init) ?? "late"): \(process.errorOutput())")
        }
        return process.output()
    }
}

/// Peak resident memory of a process, sampled from /proc every 100 ms (VmRSS and the kernel's VmHWM).
enum RSSSampler {
    static func sample(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        var peak = 0
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            peak = max(peak, digits)
        }
        return peak * 1024
    }

    /// Samples until the process is reaped; returns the peak in bytes.
    static func track(_ process: ChildProcess) -> Task<Int, Never> {
        Task {
            var peak = 0
            while process.isRunning {
                peak = max(peak, sample(pid: process.pid))
                try? await Task.sleep(for: .milliseconds(100))
            }
            return peak
        }
    }
}

/// The least time the sandbox's limits allow for the requests it admitted: per bucket with limit L
/// per window W and n admitted requests, `max(0, ceil(n / L) − 1) × W` (sliding window: the first L
/// pass at once); the global limit the same way over all requests; plus one latency.
struct RateFloor: Sendable {
    struct Line: Sendable {
        var bucket: String
        var requests: Int
        var rule: RateLimitRule
        var seconds: Double
    }

    var lines: [Line]
    var latencySeconds: Double
    var seconds: Double

    static func admissionTime(requests n: Int, rule: RateLimitRule) -> Double {
        guard n > 0 else { return 0 }
        let windows = (n + rule.limit - 1) / rule.limit
        return Double(max(0, windows - 1)) * rule.windowSeconds
    }

    init(stats: SandboxStats, latencyMilliseconds: Int) {
        var perBucket: [SandboxBucket: Int] = [:]
        var total = 0
        for route in SandboxRoute.allCases {
            let admitted = stats.requests(route) - stats.rateLimited(route)
            total += admitted
            if let bucket = route.bucket { perBucket[bucket, default: 0] += admitted }
        }
        var lines: [Line] = []
        for (bucket, n) in perBucket.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where n > 0 {
            let rule = bucket.discordDefault
            lines.append(Line(bucket: bucket.rawValue, requests: n, rule: rule, seconds: Self.admissionTime(requests: n, rule: rule)))
        }
        let global = RateLimitRule(limit: 50, window: .seconds(1))
        lines.append(Line(bucket: "global", requests: total, rule: global, seconds: Self.admissionTime(requests: total, rule: global)))
        self.lines = lines
        latencySeconds = Double(latencyMilliseconds) / 1000
        seconds = (lines.map(\.seconds).max() ?? 0) + latencySeconds
    }

    var text: String {
        lines.map { "  \($0.bucket): \($0.requests) requests at \($0.rule) → \(format($0.seconds)) s" }
            .joined(separator: "\n") + "\n  floor = max + latency \(format(latencySeconds)) s = \(format(seconds)) s"
    }
}

func format(_ value: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// Requests per route, compact ("PATCH member 45, PUT role 23, …"), the same order every time.
func routeSummary(_ stats: SandboxStats) -> String {
    let short: [SandboxRoute: String] = [
        .getGuild: "GET guild", .getRoles: "GET roles", .createRole: "POST role", .listMembers: "GET members (list)",
        .getMember: "GET member", .addMember: "PUT member", .modifyMember: "PATCH member", .kickMember: "DELETE member",
        .addMemberRole: "PUT role", .removeMemberRole: "DELETE role", .getCurrentUser: "GET @me", .oauthToken: "POST token",
    ]
    var parts: [String] = []
    for route in SandboxRoute.allCases where stats.requests(route) > 0 {
        parts.append("\(short[route] ?? route.rawValue) \(stats.requests(route))")
    }
    if let other = stats.requestsPerRoute["OTHER"], other > 0 { parts.append("other \(other)") }
    return parts.isEmpty ? "none" : parts.joined(separator: ", ")
}

/// One markdown row of the benchmark table.
struct BenchRow: Sendable {
    static let header = """
        | run | users (linked) | drift | changed | wall s | floor s | wall/floor | 429s | invalid | peak RSS MB | CPU s | requests |
        |---|---|---|---|---|---|---|---|---|---|---|---|
        """

    var run: String
    var users: String
    var drift: String
    var changed: Int
    var wall: Double
    var floor: Double
    var rateLimited: Int
    var invalid: Int
    var peakRSS: Int?
    var requests: String
    /// User + system CPU seconds of the worker process(es).
    var cpuSeconds: Double? = nil

    var markdown: String {
        let ratio = floor > 0 ? format(wall / floor) : "—"
        let rss = peakRSS.map { format(Double($0) / 1_048_576, digits: 1) } ?? "—"
        return "| \(run) | \(users) | \(drift) | \(changed) | \(format(wall)) | \(format(floor)) | \(ratio) | \(rateLimited) | \(invalid) | \(rss) | \(cpuSeconds.map { format($0, digits: 1) } ?? "—") | \(requests) |"
    }

    /// Prints the row (prefixed so scripts can collect it) and appends it to `tableFile` if given.
    func emit(tableFile: String?) {
        print("ROW " + markdown)
        guard let tableFile else { return }
        let line = Data((markdown + "\n").utf8)
        if let handle = FileHandle(forWritingAtPath: tableFile) {
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
            try? handle.close()
        } else {
            _ = FileManager.default.createFile(atPath: tableFile, contents: line)
        }
    }
}
