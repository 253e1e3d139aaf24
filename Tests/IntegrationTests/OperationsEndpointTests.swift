import Foundation
import PythonCompat
import Testing
import TestSupport

/// `DISCORD_WORKER_HTTP_ADDRESS` and `DISCORD_WORKER_LOG_FORMAT=json` on the built binary, over plain HTTP
/// as Prometheus and Kubernetes probes use them.
@Suite("Operations endpoint (built binary)")
struct OperationsEndpointTests {
    static func settings(port: Int) -> [String: String] {
        var s = Harness.testTasks
        s["DISCORD_WORKER_HTTP_ADDRESS"] = "127.0.0.1:\(port)"
        s["DISCORD_WORKER_LOG_FORMAT"] = "json"
        return s
    }

    static func metrics(_ port: Int) async throws -> [PrometheusText.Sample] {
        let response = try await PlainHTTP.get(port: port, path: "/metrics")
        #expect(response.status == 200)
        return try PrometheusText.parse(response.body)
    }

    static func awaitHealthy(_ port: Int, _ worker: WorkerProcess) async throws {
        try await waitUntil(timeout: .seconds(30), interval: .milliseconds(50), "/healthz answers") {
            if !worker.isRunning { throw TestSupportError("worker exited:\n\(worker.log.suffix(3000))") }
            return (try? await PlainHTTP.get(port: port, path: "/healthz").status) == 200
        }
    }

    @Test func metricsProbesAndJSONLogsFromTheOutside() async throws {
        let port = try Loopback.freePort()
        try await Harness.with(Self.settings(port: port)) { h in
            let worker = try h.startWorker(["run"], name: "w", settings: h.resultBackend)
            try await Self.awaitHealthy(port, worker)
            let ready = try await PlainHTTP.get(port: port, path: "/readyz")
            #expect(ready.status == 200 && ready.body == "broker: ok\ndatabase: ok\n", "\(ready.body)")

            let pings = [try await h.binary.enqueue("celery.ping"), try await h.binary.enqueue("celery.ping")]
            let failing = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", "[-1]"])
            let servername = try await h.binary.enqueue("discord.update_servername")
            for id in pings + [failing, servername] { _ = try await h.awaitResult(id) }

            var samples: [PrometheusText.Sample] = []
            try await waitUntil(timeout: .seconds(30), interval: .milliseconds(50), "task counters") {
                samples = try await Self.metrics(port)
                return PrometheusText.value(samples, "discord_worker_tasks_total", ["task": "discord.update_servername"]) != nil
            }
            func value(_ name: String, _ labels: [String: String] = [:]) -> Double? { PrometheusText.value(samples, name, labels) }
            #expect(value("discord_worker_tasks_total", ["task": "celery.ping", "outcome": "succeeded"]) == 2)
            #expect(value("discord_worker_tasks_total", ["task": "discord_worker.test.sleep", "outcome": "failed"]) == 1)
            #expect(value("discord_worker_task_duration_seconds_count", ["task": "celery.ping"]) == 2)
            // The Discord base URL is a closed port: one attempt without a response, under its route template.
            #expect((value("discord_api_requests_total", ["route": "GET /guilds/:id", "status": "error"]) ?? 0) >= 1, "\(samples.filter { $0.name.hasPrefix("discord_api") })")
            #expect(!samples.contains { $0.labels.values.contains("100000000000000001") }, "no guild id in a label")
            #expect(value("discord_worker_queue_depth_messages", ["queue": "services", "priority": "0"]) == 0)
            #expect(value("discord_worker_dead_letters_messages") == 1, "the failed task is a dead letter")
            #expect(value("discord_worker_broker_up") == 1)

            // During the grace period: not ready, still alive.
            let key = "it:sleep"
            _ = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", "[3]", "--kwargs", #"{"key": "\#(key)"}"#])
            try await h.awaitList(key, "the long task started") { $0.count == 1 }
            worker.signal(SIGTERM)
            try await waitUntil(timeout: .seconds(10), interval: .milliseconds(20), "/readyz says shutting down") {
                let r = try await PlainHTTP.get(port: port, path: "/readyz")
                return r.status == 503 && r.body == "shutting down\n"
            }
            #expect(try await PlainHTTP.get(port: port, path: "/healthz").status == 200)
            #expect(try await h.exitCode(of: worker) == 0)
            #expect(try await h.list(key).count == 2, "the running task finished in the grace period")

            // Every stderr line is one JSON object; task lines carry task_id and task.
            let lines = worker.log.split(separator: "\n")
            #expect(lines.count >= 5)
            var taskLines = 0
            for line in lines {
                let object = try JSONValue.parse(Array(line.utf8))
                #expect(object["timestamp"]?.stringValue != nil && object["level"]?.stringValue != nil && object["message"]?.stringValue != nil, "\(line)")
                if object["task_id"] != nil {
                    taskLines += 1
                    #expect(object["task"]?.stringValue?.isEmpty == false, "\(line)")
                }
            }
            #expect(taskLines >= 4, "\(worker.log.suffix(2000))")
            #expect(lines.contains { $0.contains(#""task_id":"\#(failing)""#) })
            #expect(!worker.log.contains("test-token-not-a-real-one"), "the bot token never appears")
        }
    }

    @Test func readyzIsUnavailableWhileRedisIsDown() async throws {
        let port = try Loopback.freePort()
        try await Harness.with(Self.settings(port: port)) { h in
            let worker = try h.startWorker(["run"], name: "w")
            try await Self.awaitHealthy(port, worker)
            #expect(try await PlainHTTP.get(port: port, path: "/readyz").status == 200)
            await h.redis.stop()
            let down = try await PlainHTTP.get(port: port, path: "/readyz")
            #expect(down.status == 503 && down.body.contains("broker: not reachable"), "\(down.body)")
            #expect(try await PlainHTTP.get(port: port, path: "/healthz").status == 200, "alive: Kubernetes must not restart it for Redis")
            let samples = try await Self.metrics(port)
            #expect(PrometheusText.value(samples, "discord_worker_broker_up") == 0)
            try await h.redis.restart()
            try await waitUntil(timeout: .seconds(15), interval: .milliseconds(100), "/readyz recovers") {
                try await PlainHTTP.get(port: port, path: "/readyz").status == 200
            }
        }
    }

    @Test func aBadOrBusyAddressStopsTheProgramWithOneLine() async throws {
        let port = try Loopback.freePort()
        try await Harness.with(Self.settings(port: port)) { h in
            let bad = try await h.binary.run(["run"], settings: ["DISCORD_WORKER_HTTP_ADDRESS": "localhost"])
            #expect(bad.exitCode == 2 && bad.stderr.contains("DISCORD_WORKER_HTTP_ADDRESS"), "\(bad.stderr)")
            let format = try await h.binary.run(["run"], settings: ["DISCORD_WORKER_LOG_FORMAT": "xml"])
            #expect(format.exitCode == 2 && format.stderr.contains("DISCORD_WORKER_LOG_FORMAT"), "\(format.stderr)")
            let worker = try h.startWorker(["run"], name: "w")
            try await Self.awaitHealthy(port, worker)
            let busy = try await h.binary.run(["run"])
            #expect(busy.exitCode == 2, "\(busy.stderr)")
            let line = busy.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(line.contains("DISCORD_WORKER_HTTP_ADDRESS") && line.contains("cannot listen on"), "\(busy.stderr)")
        }
    }
}
