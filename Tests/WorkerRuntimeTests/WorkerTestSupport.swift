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

struct WorkerHarness {
    let server: RedisServerProcess
    let redis: RedisClient
    let cache: RedisClient
    let registry = TaskRegistry()
    var options: WorkerOptions

    static func start(queues: [String] = ["services"]) async throws -> WorkerHarness {
        let server = try await RedisServerProcess.start()
        var options = WorkerOptions()
        options.queues = queues
        options.exitWhenIdle = true
        options.cacheURL = server.url(db: 1)
        options.retryPause = .milliseconds(50)
        options.lease = .seconds(3)
        options.shutdownGrace = .seconds(2)
        return WorkerHarness(server: server, redis: RedisClient(url: server.url), cache: RedisClient(url: server.url(db: 1)), options: options)
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

    func stop() async {
        await redis.close()
        await cache.close()
        await server.stop()
    }
}
