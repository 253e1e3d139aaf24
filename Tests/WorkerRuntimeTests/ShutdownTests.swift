import Broker
import CeleryProtocol
import Foundation
import Logging
import RedisClient
import Synchronization
import TestSupport
import Testing
@testable import WorkerRuntime

/// `Worker.requestStop()`: running tasks get the grace period, and what is unfinished goes back to its queue.
@Suite("Worker shutdown on a real redis-server", .serialized)
struct ShutdownTests {
    static func quietLogger() -> Logger {
        var logger = Logger(label: "test-worker")
        logger.logLevel = .critical
        return logger
    }

    @Test func runningTasksFinishWithinTheGraceThenTheWorkerReturns() async throws {
        try await WorkerHarness.with { h in
            h.options.exitWhenIdle = false
            h.options.concurrency = 3
            h.options.shutdownGrace = .seconds(30)
            let started = Mutex(0)
            let finished = Mutex(0)
            h.registry.register(TaskDefinition(name: "tests.slow", parameters: []) { _ in
                started.withLock { $0 += 1 }
                try await Task.sleep(for: .milliseconds(200))
                finished.withLock { $0 += 1 }
                return .success(.null)
            })
            for _ in 0..<3 {
                let message = TaskMessage.newTask(name: "tests.slow", queue: "services", origin: "test")
                try await h.push(message.bytes, to: message.listKey)
            }
            let worker = Worker(options: h.options, registry: h.registry, brokerURL: h.server.url, logger: Self.quietLogger())
            let running = Task { try await worker.run() }
            try await waitUntil("the tasks to start") { started.withLock { $0 } == 3 }
            worker.requestStop()
            try await running.value
            #expect(finished.withLock { $0 } == 3, "the stop waited for the running tasks")
            #expect(worker.processedCount == 3)
            #expect(try await h.redis.command(["LLEN", "services\u{06}\u{16}5"]) == .integer(0))
            #expect(try await h.redis.command(["HLEN", RedisArgument(BrokerKeys().inflight(h.options.workerID))]) == .integer(0))
            #expect(try await h.deadLetters().isEmpty)
        }
    }

    @Test func aTaskStillRunningAfterTheGraceGoesBackToItsQueue() async throws {
        try await WorkerHarness.with { h in
            h.options.exitWhenIdle = false
            h.options.shutdownGrace = .milliseconds(200)
            let started = Mutex(false)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let returned = Mutex(false)
            h.registry.register(TaskDefinition(name: "tests.stuck", parameters: []) { _ in
                started.withLock { $0 = true }
                for await _ in release { break }
                returned.withLock { $0 = true }
                return .success(.null)
            })
            let message = TaskMessage.newTask(name: "tests.stuck", queue: "services", origin: "test")
            try await h.push(message.bytes, to: message.listKey)
            let worker = Worker(options: h.options, registry: h.registry, brokerURL: h.server.url, logger: Self.quietLogger())
            let running = Task { try await worker.run() }
            try await waitUntil("the task to start") { started.withLock { $0 } }
            worker.requestStop()
            try await running.value
            #expect(returned.withLock { !$0 }, "the worker returned while the task still ran")
            let queued = try await h.redis.command(["LRANGE", RedisArgument(message.listKey), "0", "-1"]).array?.compactMap(\.bytes)
            #expect(queued == [message.bytes], "nothing lost: the message is back in its queue")
            #expect(try await h.redis.command(["EXISTS", RedisArgument(BrokerKeys().inflight(h.options.workerID))]) == .integer(0))
            // Let the abandoned handler end (its ack fails quietly on the closed broker connection).
            releaseContinuation.yield()
            try await waitUntil("the abandoned handler to return") { returned.withLock { $0 } }
        }
    }
}
