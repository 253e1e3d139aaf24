public import Foundation

/// Paths inside the repository checkout (sources, fixtures, build products).
public enum RepositoryPaths {
    /// The package root: found from this source file's location (tests and the benchmark run from the
    /// checkout they were built from), else the nearest directory upwards of the working directory with a
    /// Package.swift.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Sources/TestSupport/WorkerProcess.swift
        if FileManager.default.fileExists(atPath: url.path + "/Package.swift") { return url.path }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: dir.path + "/Package.swift") { return dir.path }
            dir.deleteLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// A fresh scratch directory under the system temporary directory.
    public static func scratchDirectory(_ prefix: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

/// The built `discord-worker` binary driven from the outside, as an operator would: one-shot commands
/// (`enqueue`, `status --json`, `dead-letters …`) and long-running `run` processes, all with an explicit
/// environment pointing at a private redis-server.
public struct DiscordWorkerBinary: Sendable {
    public let path: String
    /// The environment every command gets (the inherited one without product settings, plus `settings`).
    public let environment: [String: String]
    /// Where the output files of started processes go.
    public let directory: String

    /// `$DISCORD_WORKER_BIN`, else `<repo>/.build/debug/discord-worker`.
    public static func locate() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["DISCORD_WORKER_BIN"], !explicit.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw TestSupportError("DISCORD_WORKER_BIN=\(explicit) is not an executable file")
            }
            return explicit
        }
        let path = RepositoryPaths.root + "/.build/debug/discord-worker"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("""
                the discord-worker binary is not built: expected \(path) (run `swift build --product discord-worker` \
                or `swift build --build-tests` first, or set DISCORD_WORKER_BIN)
                """)
        }
        return path
    }

    /// - Parameters:
    ///   - path: the binary (default: `locate()`).
    ///   - redisPort: a private redis-server; BROKER_URL is its db 0, CACHE_URL db 1.
    ///   - settings: more variables (they win), e.g. `CELERY_RESULT_BACKEND`, `DISCORD_WORKER_LEASE_SECONDS`.
    ///   - directory: where output files go (default: a new scratch directory).
    public init(path: String? = nil, redisPort: Int, settings: [String: String] = [:], directory: String? = nil) throws {
        self.path = try path ?? Self.locate()
        self.directory = try directory ?? RepositoryPaths.scratchDirectory("discord-worker-it")
        var env = ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("DISCORD_") || ["BROKER_URL", "CACHE_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL"].contains(key))
        }
        env["BROKER_URL"] = "redis://127.0.0.1:\(redisPort)/0"
        env["CACHE_URL"] = "redis://127.0.0.1:\(redisPort)/1"
        // `run` needs a guild, a token and AA's database: an empty AA database from the real schema and a
        // Discord base URL on a closed loopback port, so that nothing can ever reach discord.com.
        let database = self.directory + "/allianceauth.db"
        if !FileManager.default.fileExists(atPath: database) { _ = try AADatabaseBuilder(path: database) }
        env["DATABASE_URL"] = "sqlite:///" + database
        env["DISCORD_GUILD_ID"] = "100000000000000001"
        env["DISCORD_BOT_TOKEN"] = "test-token-not-a-real-one"
        env["DISCORD_API_BASE_URL"] = "http://127.0.0.1:9/api/v10/"
        for (key, value) in settings { env[key] = value }
        self.environment = env
    }

    /// The same binary and directory with more settings.
    public func with(_ settings: [String: String]) -> DiscordWorkerBinary {
        var env = environment
        for (key, value) in settings { env[key] = value }
        return DiscordWorkerBinary(path: path, environment: env, directory: directory)
    }

    private init(path: String, environment: [String: String], directory: String) {
        self.path = path
        self.environment = environment
        self.directory = directory
    }

    /// What a finished command did.
    public struct Result: Sendable {
        public var exitCode: Int32
        public var stdout: String
        public var stderr: String
        public var trimmedOutput: String { stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs a one-shot command to its end (bounded by `timeout`).
    public func run(_ arguments: [String], settings: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> Result {
        let tag = UUID().uuidString.prefix(8)
        let out = directory + "/cmd-\(tag).out", err = directory + "/cmd-\(tag).err"
        var env = environment
        for (key, value) in settings { env[key] = value }
        let child = try ChildProcess(path, arguments, environment: env, stdout: out, stderr: err)
        guard let code = await child.wait(timeout: timeout) else {
            await child.killNow()
            throw TestSupportError("discord-worker \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        let result = Result(exitCode: code, stdout: child.output(), stderr: child.errorOutput())
        try? FileManager.default.removeItem(atPath: out)
        try? FileManager.default.removeItem(atPath: err)
        return result
    }

    /// Runs a command that must succeed; returns its stdout.
    @discardableResult
    public func succeed(_ arguments: [String], settings: [String: String] = [:], timeout: Duration = .seconds(60)) async throws -> String {
        let result = try await run(arguments, settings: settings, timeout: timeout)
        guard result.exitCode == 0 else {
            throw TestSupportError("discord-worker \(arguments.joined(separator: " ")) exited \(result.exitCode): \(result.stderr.suffix(2000))")
        }
        return result.stdout
    }

    /// Starts a long-running command (`run …`); its output goes to `<directory>/<name>.out/.err`.
    public func start(_ arguments: [String], name: String, settings: [String: String] = [:]) throws -> WorkerProcess {
        var env = environment
        for (key, value) in settings { env[key] = value }
        let child = try ChildProcess(path, arguments, environment: env,
                                     stdout: directory + "/\(name).out", stderr: directory + "/\(name).err")
        return WorkerProcess(child: child, name: name)
    }

    /// `enqueue …`: returns the printed task id.
    public func enqueue(_ task: String, _ options: [String] = []) async throws -> String {
        try await succeed(["enqueue", task] + options).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `status --json`, decoded. Exit codes 3-5 (unhealthy: no live worker, token rejected, a worker's
    /// problem) still print the report; `statusExitCode` says which.
    public func status() async throws -> StatusSnapshot {
        let result = try await run(["status", "--json"])
        guard [0, 3, 4, 5].contains(result.exitCode) else {
            throw TestSupportError("discord-worker status --json exited \(result.exitCode): \(result.stderr.suffix(2000))")
        }
        let out = result.stdout
        do { return try JSONDecoder().decode(StatusSnapshot.self, from: Data(out.utf8)) } catch {
            throw TestSupportError("status --json printed something unreadable (\(error)): \(out.prefix(2000))")
        }
    }

    /// `dead-letters list --json`, decoded.
    public func deadLetters() async throws -> [DeadLetterEntry] {
        let out = try await succeed(["dead-letters", "list", "--json"])
        do { return try JSONDecoder().decode([DeadLetterEntry].self, from: Data(out.utf8)) } catch {
            throw TestSupportError("dead-letters list --json printed something unreadable (\(error)): \(out.prefix(2000))")
        }
    }
}

/// A running `discord-worker run` process.
public struct WorkerProcess: Sendable {
    public let child: ChildProcess
    public let name: String

    public var pid: pid_t { child.pid }
    public var isRunning: Bool { child.isRunning }
    /// What it logged so far (swift-log writes to stderr).
    public var log: String { child.errorOutput() }

    /// Waits until the log contains `text` (the process must keep running meanwhile).
    public func waitForLog(_ text: String, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(timeout: timeout, interval: .milliseconds(20), "'\(text)' in the log of \(name)") {
            if child.errorOutput().contains(text) { return true }
            if !child.isRunning { throw TestSupportError("\(name) exited (\(child.exitCode.map(String.init) ?? "?")) before logging '\(text)':\n\(log.suffix(3000))") }
            return false
        }
    }

    /// Waits for the exit; nil on timeout.
    public func wait(timeout: Duration = .seconds(60)) async -> Int32? { await child.wait(timeout: timeout) }

    public func signal(_ sig: Int32) { child.signal(sig) }
    public func killNow() async { await child.killNow() }
    public func terminate(grace: Duration = .seconds(30)) async { await child.terminate(grace: grace) }

    /// Resident memory now, from /proc/<pid>/status (`VmRSS`), in KiB.
    public var residentKiB: Int? { ProcessMemory.residentKiB(pid: child.pid) }
}

/// `/proc/<pid>/status` readings (Linux).
public enum ProcessMemory {
    /// `VmRSS` in KiB.
    public static func residentKiB(pid: pid_t) -> Int? { field("VmRSS", pid: pid) }
    /// `VmHWM` (peak resident set) in KiB.
    public static func peakResidentKiB(pid: pid_t) -> Int? { field("VmHWM", pid: pid) }

    private static func field(_ name: String, pid: pid_t) -> Int? {
        guard let text = readProcFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")  // "VmRSS:\t  1234 kB"
        }
        return nil
    }
}

/// Reads a /proc file with read(2): they report a size of 0, which size-based readers take literally.
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    for _ in 0..<256 {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}

/// `discord-worker status --json`.
public struct StatusSnapshot: Decodable, Sendable {
    /// queue → priority ("0"…"9") → depth.
    public var queues: [String: [String: Int]]
    public var delayed: Int
    /// Messages parked until a user's lock is free (absent in older binaries: 0).
    public var waitingForLock: Int
    public var inFlight: Int
    public var deadLetters: Int
    public var workers: [Worker]
    public var bulk: [Bulk]

    public struct Worker: Decodable, Sendable {
        public var id: String
        public var inFlight: Int
        public var alive: Bool
        enum CodingKeys: String, CodingKey { case id, inFlight = "in_flight", alive }
    }

    public struct Bulk: Decodable, Sendable {
        public var task: String
        public var done: Int
        public var total: Int
        public var changed: Int
        public var failed: Int
    }

    enum CodingKeys: String, CodingKey {
        case queues, delayed, inFlight = "in_flight", deadLetters = "dead_letters", workers, bulk
        case waitingForLock = "waiting_for_lock"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        queues = try c.decode([String: [String: Int]].self, forKey: .queues)
        delayed = try c.decode(Int.self, forKey: .delayed)
        waitingForLock = try c.decodeIfPresent(Int.self, forKey: .waitingForLock) ?? 0
        inFlight = try c.decode(Int.self, forKey: .inFlight)
        deadLetters = try c.decode(Int.self, forKey: .deadLetters)
        workers = try c.decode([Worker].self, forKey: .workers)
        bulk = try c.decode([Bulk].self, forKey: .bulk)
    }

    /// Messages waiting in `queue`, all priorities.
    public func depth(_ queue: String) -> Int { queues[queue]?.values.reduce(0, +) ?? 0 }
}

/// One element of `discord-worker dead-letters list --json`.
public struct DeadLetterEntry: Decodable, Sendable {
    public var id: String
    public var task: String
    public var reason: String
    public var queue: String
    public var at: String
    /// The original bytes, as a string.
    public var message: String
}
