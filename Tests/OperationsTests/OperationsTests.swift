import Broker
import Foundation
import Logging
@testable import Operations
import PythonCompat
import RedisClient
import Synchronization
import Testing
import TestSupport
import WorkerMetrics
import WorkerRuntime

@Suite("HTTP request head")
struct HTTPRequestHeadTests {
    @Test func getWithQueryKeepsThePathOnly() throws {
        let head = Array("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        let request = try HTTPRequestHead.parse(head).get()
        #expect(request.method == "GET" && request.path == "/metrics")
    }

    @Test func otherMethodsAndGarbageAreRefused() {
        #expect(throws: HTTPRequestHead.StatusCode(405)) { try HTTPRequestHead.parse(Array("POST /metrics HTTP/1.1\r\n\r\n".utf8)).get() }
        #expect(throws: HTTPRequestHead.StatusCode(400)) { try HTTPRequestHead.parse(Array("hello\r\n\r\n".utf8)).get() }
        #expect(throws: HTTPRequestHead.StatusCode(400)) { try HTTPRequestHead.parse(Array("GET metrics HTTP/1.1\r\n\r\n".utf8)).get() }
        #expect(throws: HTTPRequestHead.StatusCode(431)) { try HTTPRequestHead.parse(Array("GET / HTTP/1.1\r\nHost".utf8)).get() }
    }

    @Test func addressesSplitAtTheLastColon() throws {
        #expect(try HTTPEndpoint.split("127.0.0.1:9808") == ("127.0.0.1", "9808"))
        #expect(try HTTPEndpoint.split("[::1]:9808") == ("::1", "9808"))
        #expect(try HTTPEndpoint.split(":9808") == ("", "9808"))
        #expect(throws: HTTPEndpoint.BindError.self) { try HTTPEndpoint.split("localhost") }
        #expect(throws: HTTPEndpoint.BindError.self) { try HTTPEndpoint.split("localhost:99999") }
    }
}

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test func fixedFieldsThenEveryMetadataKey() throws {
        let bytes = JSONLogHandler.line(
            timestamp: Date(timeIntervalSince1970: 1_700_000_000.25), level: .info, label: "discord-worker",
            message: "task \"done\"\nnext", handlerMetadata: ["worker": "w1"], provided: nil,
            call: ["task_id": "abc", "task": "discord.update_groups", "user_pk": "5", "message": "shadow", "list": ["a", "b"]])
        #expect(bytes.last == 10 && bytes.dropLast().allSatisfy { $0 != 10 }, "one line")
        let value = try JSONValue.parse(Array(bytes.dropLast()))
        #expect(value["timestamp"] == "2023-11-14T22:13:20.250Z")
        #expect(value["level"] == "info" && value["label"] == "discord-worker")
        #expect(value["message"] == "task \"done\"\nnext")
        #expect(value["task_id"] == "abc" && value["task"] == "discord.update_groups" && value["user_pk"] == "5")
        #expect(value["worker"] == "w1" && value["meta_message"] == "shadow" && value["list"] == ["a", "b"])
    }

    @Test func theHandlerWritesThroughItsOutput() throws {
        let output = JSONLogOutput.memory()
        var logger = Logger(label: "t") { JSONLogHandler(label: $0, output: output) }
        logger.logLevel = .debug
        logger[metadataKey: "worker"] = "w"
        logger.debug("one", metadata: ["task_id": "1"])
        logger.trace("not written")
        logger.warning("two")
        let lines = String(decoding: output.collected, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONValue.parse(Array(lines[0].utf8))
        #expect(first["level"] == "debug" && first["task_id"] == "1" && first["worker"] == "w")
    }
}

@Suite("Metrics and probes")
struct MetricsEndpointTests {
    static func task(_ name: String) -> ObservedTask {
        ObservedTask(id: UUID().uuidString, name: name, args: [], kwargs: [:], retries: 0, queue: "services",
                     sourceKey: "services", received: Date())
    }

    @Test func observerCountsOutcomesUnderClosedLabels() throws {
        let exporter = MetricsExporter(inspector: nil, queues: ["services"])
        let observer = TaskMetricsObserver(exporter: exporter, knownTasks: ["celery.ping", "discord.update_groups"])
        observer.taskFinished(Self.task("celery.ping"), outcome: .succeeded(result: "pong"), runtime: .milliseconds(3))
        observer.taskFinished(Self.task("celery.ping"), outcome: .succeeded(result: "pong"), runtime: .milliseconds(70))
        observer.taskFinished(Self.task("discord.update_groups"), outcome: .retried(reason: "x"), runtime: .seconds(2))
        observer.taskRejected(Self.task("evil.\(UUID())"), reason: "unknown task")
        observer.taskRejected(nil, reason: "undecodable")
        observer.taskRevoked(Self.task("celery.ping"), reason: "expired", expired: true)
        let samples = try PrometheusText.parse(String(decoding: exporter.registry.emitToBuffer(), as: UTF8.self))
        func value(_ name: String, _ labels: [String: String]) -> Double? { PrometheusText.value(samples, name, labels) }
        #expect(value(MetricName.tasks, ["task": "celery.ping", "outcome": "succeeded"]) == 2)
        #expect(value(MetricName.tasks, ["task": "discord.update_groups", "outcome": "retried"]) == 1)
        #expect(value(MetricName.tasks, ["task": "other", "outcome": "rejected"]) == 2)
        #expect(value(MetricName.tasks, ["task": "celery.ping", "outcome": "revoked"]) == 1)
        #expect(value(MetricName.taskDuration + "_count", ["task": "celery.ping"]) == 2)
        #expect(value(MetricName.taskDuration + "_bucket", ["task": "celery.ping", "le": "0.01"]) == 1)
        #expect(value(MetricName.taskDuration + "_bucket", ["task": "celery.ping", "le": "+Inf"]) == 2)
        let sum = try #require(value(MetricName.taskDuration + "_sum", ["task": "celery.ping"]))
        #expect(abs(sum - 0.073) < 1e-9)
        #expect(!samples.contains { $0.labels.values.contains { $0.hasPrefix("evil.") } }, "no label from a sender")
    }

    @Test func queueGaugesComeFromRedisAtScrapeTime() async throws {
        let server = try await RedisServerProcess.start()
        let redis = RedisClient(url: server.url(db: 0), name: "t")
        let exporter = MetricsExporter(inspector: BrokerInspector(redis: redis), queues: ["services"], runningTasks: { 3 })
        do {
            try await redis.command(["RPUSH", "services", "a", "b"])
            try await redis.command(["RPUSH", "services\u{06}\u{16}3", "c"])
            let keys = BrokerKeys()
            try await redis.command(["ZADD", RedisArgument(keys.delayed), "1", "d"])
            await BulkProgressReporter(redis: redis).report(BulkProgress(taskID: "t1", task: "discord.update_all_groups", done: 4, total: 10))
            var samples = try PrometheusText.parse(String(decoding: await exporter.scrape(), as: UTF8.self))
            #expect(PrometheusText.value(samples, MetricName.queueDepth, ["queue": "services", "priority": "0"]) == 2)
            #expect(PrometheusText.value(samples, MetricName.queueDepth, ["queue": "services", "priority": "3"]) == 1)
            #expect(PrometheusText.value(samples, MetricName.queueDepth, ["queue": "services", "priority": "9"]) == 0)
            #expect(PrometheusText.value(samples, MetricName.delayed) == 1)
            #expect(PrometheusText.value(samples, MetricName.deadLetters) == 0)
            #expect(PrometheusText.value(samples, MetricName.inFlight) == 0)
            #expect(PrometheusText.value(samples, MetricName.tasksRunning) == 3)
            #expect(PrometheusText.value(samples, MetricName.brokerUp) == 1)
            #expect(PrometheusText.value(samples, MetricName.bulkMembers, ["task": "discord.update_all_groups", "state": "done"]) == 4)
            #expect(PrometheusText.value(samples, MetricName.bulkMembers, ["task": "discord.update_all_groups", "state": "total"]) == 10)

            await server.stop()
            samples = try PrometheusText.parse(String(decoding: await exporter.scrape(), as: UTF8.self))
            #expect(PrometheusText.value(samples, MetricName.brokerUp) == 0)
            #expect(PrometheusText.value(samples, MetricName.queueDepth, ["queue": "services", "priority": "0"]) == 2, "last values kept")
        } catch {
            await redis.close()
            await server.stop()
            throw error
        }
        await redis.close()
    }

    @Test func endpointServesTheRoutesOverLoopback() async throws {
        let shuttingDown = ManagedFlag()
        let slowDatabase = ManagedFlag()
        let routes = OperationsRoutes(
            exporter: MetricsExporter(inspector: nil, queues: ["services"]),
            readiness: [
                ReadinessCheck(name: "broker") {},
                ReadinessCheck(name: "database") {
                    if slowDatabase.value { try await Task.sleep(for: .seconds(30)) }
                },
            ],
            isShuttingDown: { shuttingDown.value })
        let service = try OperationsService(address: "127.0.0.1:0", routes: routes, logger: Logger(label: "t"))
        let endpoint = service.endpoint
        endpoint.start()
        let port = endpoint.port
        #expect(port > 0)
        var r = try await PlainHTTP.get(port: port, path: "/healthz")
        #expect(r.status == 200 && r.body == "ok\n" && r.headers["connection"] == "close")
        r = try await PlainHTTP.get(port: port, path: "/readyz")
        #expect(r.status == 200 && r.body == "broker: ok\ndatabase: ok\n")
        r = try await PlainHTTP.get(port: port, path: "/metrics")
        #expect(r.status == 200 && r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(try PrometheusText.parse(r.body).contains { $0.name == MetricName.tasksRunning })
        r = try await PlainHTTP.get(port: port, path: "/nope")
        #expect(r.status == 404)

        slowDatabase.value = true
        r = try await PlainHTTP.get(port: port, path: "/readyz")
        #expect(r.status == 503 && r.body == "broker: ok\ndatabase: not reachable\n", "a check that hangs fails after its timeout")
        slowDatabase.value = false
        shuttingDown.value = true
        r = try await PlainHTTP.get(port: port, path: "/readyz")
        #expect(r.status == 503 && r.body == "shutting down\n")
        r = try await PlainHTTP.get(port: port, path: "/healthz")
        #expect(r.status == 200)

        await endpoint.shutdown()
        await #expect(throws: (any Error).self) { try await PlainHTTP.get(port: port, path: "/healthz") }
    }

    @Test func clientsThatHangUpNeverStopTheServer() async throws {
        // A big answer and a client that resets the connection: the writes after the reset fail and the server
        // goes on. (The test runner ignores SIGPIPE; that the worker, which does not, survives this is what
        // MSG_NOSIGNAL in HTTPEndpoint is for.)
        let endpoint = try HTTPEndpoint(address: "127.0.0.1:0") { request in
            request.path == "/big" ? .init(status: 200, body: [UInt8](repeating: 65, count: 8 << 20)) : .init(status: 200, text: "ok\n")
        }
        endpoint.start()
        for _ in 0..<5 {
            try PlainHTTP.abortedGet(port: endpoint.port, path: "/big", afterReading: 1024)
        }
        #expect(try await PlainHTTP.get(port: endpoint.port, path: "/small").status == 200)
        await endpoint.shutdown()
    }

    @Test func aBusyAddressFailsAtStartWithOneLine() async throws {
        let routes = OperationsRoutes(exporter: MetricsExporter(inspector: nil, queues: []), readiness: [], isShuttingDown: { false })
        let first = try HTTPEndpoint(address: "127.0.0.1:0") { await routes.respond($0) }
        do {
            _ = try HTTPEndpoint(address: "127.0.0.1:\(first.port)") { await routes.respond($0) }
            Issue.record("a second bind on port \(first.port) succeeded")
        } catch {
            #expect(error.description.contains("cannot listen on '127.0.0.1:\(first.port)'"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        await first.shutdown()
    }
}

/// A Bool shared with @Sendable closures.
final class ManagedFlag: Sendable {
    private let storage = Mutex(false)
    var value: Bool {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

