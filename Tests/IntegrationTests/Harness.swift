import Foundation
import PythonCompat
import RedisClient
import Synchronization
import Testing
import TestSupport

/// One test's world: a private redis-server, the built discord-worker binary pointed at it, a Redis client
/// for looking at outcomes, and every process the test started (all stopped by `close`).
final class Harness: Sendable {
    let redis: RedisServerProcess
    let binary: DiscordWorkerBinary
    let client: RedisClient
    private let processes = Mutex<[ChildProcess]>([])

    var port: Int { redis.port }
    var brokerURL: String { "redis://127.0.0.1:\(redis.port)/0" }
    var directory: String { binary.directory }

    private init(redis: RedisServerProcess, binary: DiscordWorkerBinary) {
        self.redis = redis
        self.binary = binary
        self.client = RedisClient(url: redis.url(db: 0), name: "test")
    }

    /// Starts redis and prepares the binary with `settings` (BROKER_URL/CACHE_URL come from the server).
    static func start(_ settings: [String: String] = [:]) async throws -> Harness {
        let binaryPath = try DiscordWorkerBinary.locate()
        let redis = try await RedisServerProcess.start()
        var all = ["DISCORD_WORKER_LOG_LEVEL": "info"]
        for (key, value) in settings { all[key] = value }
        let binary = try DiscordWorkerBinary(path: binaryPath, redisPort: redis.port, settings: all)
        return Harness(redis: redis, binary: binary)
    }

    /// Runs `body` with a fresh harness and always cleans up.
    static func with<T>(_ settings: [String: String] = [:], _ body: (Harness) async throws -> T) async throws -> T {
        let harness = try await start(settings)
        return try await withCleanup({ await harness.close() }) { try await body(harness) }
    }

    /// The result-backend setting for this server (db 0).
    var resultBackend: [String: String] { ["CELERY_RESULT_BACKEND": brokerURL] }
    /// Registers the binary's test-only tasks (`discord_worker.test.*`).
    static let testTasks = ["DISCORD_WORKER_ENABLE_TEST_TASKS": "1"]

    func close() async {
        let children = processes.withLock { list -> [ChildProcess] in let l = list; list = []; return l }
        for child in children { await child.killNow() }
        await client.close()
        await redis.stop()
    }

    // MARK: - Processes

    /// `discord-worker <arguments>` as a long-running process.
    func startWorker(_ arguments: [String], name: String, settings: [String: String] = [:]) throws -> WorkerProcess {
        let worker = try binary.start(arguments, name: name, settings: settings)
        processes.withLock { $0.append(worker.child) }
        return worker
    }

    /// A Python Celery worker (the AA-configured app) on `queues`, ready to consume.
    func startPythonWorker(queues: String, name: String = "py", resultBackend: Bool = true) async throws -> ChildProcess {
        let child = try await PythonCelery.startWorker(queues: queues, brokerURL: brokerURL,
                                                       resultBackend: resultBackend ? brokerURL : nil, directory: directory, name: name)
        processes.withLock { $0.append(child) }
        return child
    }

    /// A producer script from Fixtures/python (with the result backend).
    func startPythonScript(_ script: String, _ arguments: [String], name: String) async throws -> ChildProcess {
        let child = try await PythonCelery.startScript(script, arguments, brokerURL: brokerURL, resultBackend: brokerURL,
                                                       directory: directory, name: name)
        processes.withLock { $0.append(child) }
        return child
    }

    /// Waits for a `run` process to exit and returns its code; throws with its log when it does not.
    func exitCode(of worker: WorkerProcess, timeout: Duration = .seconds(60)) async throws -> Int32 {
        guard let code = await worker.wait(timeout: timeout) else {
            throw TestSupportError("\(worker.name) did not exit within \(timeout):\n\(worker.log.suffix(3000))")
        }
        return code
    }

    // MARK: - Looking at Redis

    func lpush(_ key: String, _ bytes: [UInt8]) async throws {
        try await client.command(["LPUSH", RedisArgument(key), RedisArgument(bytes: bytes)])
    }

    func list(_ key: String) async throws -> [String] {
        let reply = try await client.command(["LRANGE", RedisArgument(key), "0", "-1"])
        return reply.array?.compactMap(\.string) ?? []
    }

    /// Celery's result meta for a task id (`celery-task-meta-<id>`), if stored.
    func resultMeta(_ id: String) async throws -> JSONValue? {
        guard let bytes = try await client.command(["GET", RedisArgument("celery-task-meta-" + id)]).bytes else { return nil }
        return try JSONValue.parse(bytes)
    }

    /// Waits until the result meta of `id` has a ready state (SUCCESS/FAILURE/REVOKED) and returns it.
    func awaitResult(_ id: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        var found: JSONValue?
        try await waitUntil(timeout: timeout, interval: .milliseconds(25), "a final result for task \(id)") {
            guard let meta = try await self.resultMeta(id), let status = meta["status"]?.stringValue,
                  ["SUCCESS", "FAILURE", "REVOKED"].contains(status) else { return false }
            found = meta
            return true
        }
        return try #require(found)
    }

    /// `status --json` once nothing is in flight any more: a result is stored just before its message is
    /// acknowledged (as Celery does with acks_late), so a test that saw the result waits for the ack.
    func settledStatus(timeout: Duration = .seconds(30)) async throws -> StatusSnapshot {
        var last: StatusSnapshot?
        try await waitUntil(timeout: timeout, interval: .milliseconds(25), "nothing in flight") {
            let status = try await self.binary.status()
            last = status
            return status.inFlight == 0
        }
        return try #require(last)
    }

    /// Waits until the list `key` satisfies `condition`, returning its elements.
    @discardableResult
    func awaitList(_ key: String, timeout: Duration = .seconds(30), _ what: String,
                   _ condition: @escaping @Sendable ([String]) -> Bool) async throws -> [String] {
        var seen: [String] = []
        try await waitUntil(timeout: timeout, interval: .milliseconds(20), what) {
            seen = try await self.list(key)
            return condition(seen)
        }
        return seen
    }
}

/// The JSON value of a producer's tagged output line.
func parseJSON(_ data: Data) throws -> JSONValue {
    try JSONValue.parse(Array(data))
}
