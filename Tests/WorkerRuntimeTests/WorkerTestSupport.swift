import Broker
import CeleryProtocol
import Foundation
import Logging
import PythonCompat
import RedisClient
import Synchronization
import TestSupport
@testable import WorkerRuntime

func fixture(_ name: String) throws -> [UInt8] { try CeleryFixtures.bytes(name) }

/// Records handler calls for assertions.
final class CallLog: Sendable {
    struct Call: Sendable { var task: String; var id: String; var arguments: [String: JSONValue]; var retries: Int }
    private let calls = Mutex<[Call]>([])
    func record(_ i: TaskInvocation) { calls.withLock { $0.append(Call(task: i.name, id: i.id, arguments: i.arguments, retries: i.retries)) } }
    var all: [Call] { calls.withLock { $0 } }
}

final class WorkerHarness {
    let server: RedisServerProcess
    let redis: RedisClient
    let cache: RedisClient
    let registry = TaskRegistry()
    var options: WorkerOptions

    private init(server: RedisServerProcess, redis: RedisClient, cache: RedisClient, options: WorkerOptions) {
        self.server = server
        self.redis = redis
        self.cache = cache
        self.options = options
    }

    /// Runs `body` with a started harness and stops it afterwards, also when `body` throws.
    static func with(queues: [String] = ["services"], _ body: (WorkerHarness) async throws -> Void) async throws {
        let harness = try await start(queues: queues)
        try await withCleanup({ await harness.stop() }) { try await body(harness) }
    }

    private static func start(queues: [String]) async throws -> WorkerHarness {
        let server = try await RedisServerProcess.start()
        var options = WorkerOptions()
        options.queues = queues
        options.exitWhenIdle = true
        options.cacheURL = server.url(db: 1)
        options.retryPause = .milliseconds(50)
        options.lease = .seconds(3)
        options.shutdownGrace = .seconds(2)
        return WorkerHarness(server: server, redis: server.client(), cache: server.client(db: 1), options: options)
    }

    func push(_ bytes: [UInt8], to key: String) async throws {
        try await redis.command(["LPUSH", RedisArgument(key), RedisArgument(bytes: bytes)])
    }

    /// Runs a worker until nothing is queued, delayed or in flight.
    func runUntilIdle() async throws {
        var logger = Logger(label: "test-worker")
        logger.logLevel = .warning
        let worker = Worker(options: options, registry: registry, brokerURL: server.url, logger: logger)
        try await worker.run()
    }

    func deadLetters() async throws -> [StoredDeadLetter] {
        try await BrokerInspector(redis: redis).deadLetters()
    }

    /// Closes the clients and stops the server.
    func stop() async {
        await server.stop()
    }
}
