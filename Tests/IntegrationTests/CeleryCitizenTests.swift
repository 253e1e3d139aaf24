import Foundation
import PythonCompat
import RedisClient
import Testing
import TestSupport

/// discord-worker as a Celery citizen, seen from the outside with the real Python Celery 5.7: remote control
/// (`celery inspect`, `celery status`, `celery control`), events (an EventReceiver, as `celery events` and
/// Flower use) and Alliance Auth's dashboard task statistics (read by AA's own code).
@Suite("Celery citizen: remote control, events, AA dashboard statistics", .serialized)
struct CeleryCitizenTests {
    static let node = "discord-worker@citizen-test"

    /// `python -m celery -A aa_celery <arguments>` against the harness's broker; its exit code and stdout.
    func celeryCLI(_ h: Harness, _ arguments: [String], name: String) async throws -> (code: Int32?, output: String) {
        let python = try await PythonCelery.interpreter()
        let child = try ChildProcess(
            python, ["-m", "celery", "-A", "aa_celery"] + arguments,
            environment: PythonCelery.environment(brokerURL: h.brokerURL),
            stdout: h.directory + "/\(name).out", stderr: h.directory + "/\(name).err")
        let code = await child.wait(timeout: .seconds(60))
        return (code, child.output() + child.errorOutput())
    }

    @Test func inspectStatusAndControlSeeTheWorker() async throws {
        try await Harness.with(Harness.testTasks.merging(["DISCORD_WORKER_NODE_NAME": Self.node]) { $1 }) { h in
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")
            // A long task so that `inspect active` has something to show (Python starts slowly on a busy machine).
            let sleepID = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", #"[12, "citizen:sleep"]"#])
            try await h.awaitList("citizen:sleep", "the sleep task started") { $0.contains("start:\(sleepID)") }

            // A countdown task: received, then held in the delayed set (`inspect scheduled`).
            let laterID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:later", "x"]"#, "--countdown", "600"])
            try await waitUntil(timeout: .seconds(20), "the countdown task delayed") { try await h.binary.status().delayed == 1 }

            let script = try await h.startPythonScript("celery_citizen.py", ["inspect", Self.node], name: "inspect")
            let result = try parseJSON(try await PythonCelery.awaitTaggedLine("RESULT", from: script, timeout: .seconds(90)))
            #expect(result["ping"] == [Self.node: ["ok": "pong"]])
            let active = result["active"]?[Self.node]?.arrayValue ?? []
            #expect(active.map { $0["id"] } == [.string(sleepID)])
            #expect(active.first?["name"] == "discord_worker.test.sleep")
            #expect(active.first?["args"] == [12, "citizen:sleep"])
            #expect(active.first?["hostname"] == .string(Self.node))
            #expect(result["reserved"]?[Self.node] == [])
            let scheduled = result["scheduled"]?[Self.node]?.arrayValue ?? []
            #expect(scheduled.map { $0["request"]?["id"] } == [.string(laterID)])
            #expect(scheduled.first?["eta"]?.stringValue?.hasSuffix("+00:00") == true)
            let registered = result["registered"]?[Self.node]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(registered.contains("discord.update_groups"))
            #expect(registered.contains("discord_worker.test.sleep"))
            #expect(!registered.contains("celery.ping"))
            let stats = result["stats"]?[Self.node]
            #expect(stats?["pool"]?["max-concurrency"] == 16)
            #expect(stats?["total"]?["discord_worker.test.sleep"] == 1)
            #expect(stats?["broker"]?["port"] == .int(Int64(h.port)))
            #expect(result["active_queues"]?[Self.node]?[0]?["name"] == "services")
            #expect(result["report"]?[Self.node]?["ok"]?.stringValue?.contains("discord-worker") == true)
            #expect(result["unknown"] == [[Self.node: ["error": "KeyError('no_such_command')"]]])
            #expect(result["aa_active_tasks_count"] == 1)
            #expect(result["rate_limit"]?[0]?[Self.node]?["error"]?.stringValue?.contains("not supported") == true)

            let status = try await celeryCLI(h, ["status"], name: "status")
            #expect(status.code == 0)
            #expect(status.output.contains("\(Self.node): OK"), "\(status.output)")
            let ping = try await celeryCLI(h, ["inspect", "ping"], name: "inspect-ping")
            #expect(ping.output.contains("pong"), "\(ping.output)")
            let enable = try await celeryCLI(h, ["control", "enable_events", "-d", Self.node], name: "enable-events")
            #expect(enable.output.contains("task events enabled"), "\(enable.output)")

            // `celery control shutdown`: a graceful stop; the running task finishes first.
            _ = try await celeryCLI(h, ["control", "shutdown", "-d", Self.node], name: "shutdown")
            #expect(try await h.exitCode(of: worker) == 0)
            #expect(try await h.list("citizen:sleep").contains("done:\(sleepID)"))
            #expect(worker.log.contains("Got shutdown from remote"))
        }
    }

    @Test func eventReceiverSeesTheWorkerAndItsTasks() async throws {
        try await Harness.with(Harness.testTasks.merging([
            "DISCORD_WORKER_NODE_NAME": Self.node, "DISCORD_WORKER_SEND_EVENTS": "True", "DISCORD_TASKS_RETRY_PAUSE": "0",
        ]) { $1 }) { h in
            let receiver = try await h.startPythonScript("celery_citizen.py", ["events", "120"], name: "events")
            _ = try await PythonCelery.awaitTaggedLine("LISTENING", from: receiver)
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")

            func lastState() throws -> JSONValue? {
                guard let line = receiver.output().split(separator: "\n").last(where: { $0.hasPrefix("STATE ") }) else { return nil }
                return try JSONValue.parse(Array(line.dropFirst(6).utf8))
            }
            try await waitUntil(timeout: .seconds(30), "the receiver sees the worker alive") {
                try lastState()?["workers"]?[Self.node]?["alive"] == true
            }
            let okID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:rec", "hello"]"#])
            let retryID = try await h.binary.enqueue("discord_worker.test.retry", ["--kwargs", #"{"succeed_after": 1}"#])
            let badID = try await h.binary.enqueue("discord_worker.test.record", ["--args", "[]"])
            let unknownID = try await h.binary.enqueue("discord.no_such_task")
            try await waitUntil(timeout: .seconds(60), "task states in the receiver") {
                let tasks = try lastState()?["tasks"]
                return tasks?[okID]?["state"] == "SUCCESS" && tasks?[retryID]?["state"] == "SUCCESS"
                    && tasks?[badID]?["state"] == "FAILURE" && tasks?[unknownID]?["state"] == "FAILURE"
            }
            let tasks = try #require(try lastState()?["tasks"])
            #expect(tasks[okID]?["name"] == "discord_worker.test.record")
            #expect(tasks[okID]?["args"] == "['citizen:rec', 'hello']")
            #expect(tasks[okID]?["result"] == "'hello'")
            #expect(tasks[okID]?["worker"] == .string(Self.node))

            func allEvents() -> [JSONValue] {
                receiver.output().split(separator: "\n").filter { $0.hasPrefix("EVENT ") }
                    .compactMap { try? JSONValue.parse(Array($0.dropFirst(6).utf8)) }
            }
            try await waitUntil(timeout: .seconds(20), "a worker-heartbeat (every 2 s)") {
                allEvents().contains { $0["type"] == "worker-heartbeat" && $0["hostname"] == .string(Self.node) }
            }
            let events = allEvents()
            #expect(events.contains { $0["type"] == "worker-online" && $0["hostname"] == .string(Self.node) })
            func types(_ id: String) -> [String] { events.filter { $0["uuid"]?.stringValue == id }.compactMap { $0["type"]?.stringValue } }
            #expect(types(okID) == ["task-received", "task-started", "task-succeeded"])
            #expect(types(retryID).contains("task-retried"))
            #expect(types(badID).last == "task-failed")
            #expect(types(unknownID) == ["task-failed"])
            #expect(events.first { $0["uuid"] == .string(unknownID) }?["exception"] == "NotRegistered('discord.no_such_task')")
            let heartbeat = try #require(events.first { $0["type"] == "worker-heartbeat" && $0["hostname"] == .string(Self.node) })
            #expect(heartbeat["freq"] == 2.0)
            #expect(heartbeat["sw_ident"] == "discord-worker")
            let succeeded = try #require(events.first { $0["type"] == "task-succeeded" && $0["uuid"] == .string(okID) })
            #expect(succeeded["runtime"]?.doubleValue != nil)
            #expect(succeeded["clock"]?.intValue != nil)
            #expect(succeeded["pid"] == .int(Int64(worker.pid)))

            worker.child.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
            try await waitUntil(timeout: .seconds(20), "worker-offline") {
                receiver.output().contains("\"type\": \"worker-offline\"")
            }
        }
    }

    @Test func taskEventsOnlyAfterEnableEvents() async throws {
        try await Harness.with(Harness.testTasks.merging(["DISCORD_WORKER_NODE_NAME": Self.node]) { $1 }) { h in
            let receiver = try await h.startPythonScript("celery_citizen.py", ["events", "120"], name: "events")
            _ = try await PythonCelery.awaitTaggedLine("LISTENING", from: receiver)
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")
            func events() -> [JSONValue] {
                receiver.output().split(separator: "\n").filter { $0.hasPrefix("EVENT ") }
                    .compactMap { try? JSONValue.parse(Array($0.dropFirst(6).utf8)) }
            }
            func heartbeats() -> Int { events().filter { $0["type"] == "worker-heartbeat" }.count }

            // Events off (the default): worker events only. Events go out in order through one connection, so two
            // heartbeats after the task ran mean any task event of it would have been seen.
            let quietID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:quiet", "q"]"#])
            try await h.awaitList("citizen:quiet", "the first task ran") { $0 == ["q"] }
            let seen = heartbeats()
            try await waitUntil(timeout: .seconds(20), "two more heartbeats") { heartbeats() >= seen + 2 }
            #expect(!events().contains { $0["uuid"] == .string(quietID) })

            let enable = try await celeryCLI(h, ["control", "enable_events", "-d", Self.node], name: "enable-events")
            #expect(enable.output.contains("task events enabled"), "\(enable.output)")
            let loudID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:loud", "l"]"#])
            try await waitUntil(timeout: .seconds(30), "task events after enable_events") {
                events().filter { $0["uuid"] == .string(loudID) }.compactMap { $0["type"]?.stringValue }
                    == ["task-received", "task-started", "task-succeeded"]
            }
            let disable = try await celeryCLI(h, ["control", "disable_events", "-d", Self.node], name: "disable-events")
            #expect(disable.output.contains("task events disabled"), "\(disable.output)")
        }
    }

    @Test func celeryControlRevokeKeepsADelayedTaskFromRunning() async throws {
        try await Harness.with(Harness.testTasks.merging(["DISCORD_WORKER_NODE_NAME": Self.node]) { $1 }) { h in
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")
            // Due in 20 s: revoked while it waits in the delayed set (as an operator revokes a queued retry).
            let revokedID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:revoke", "revoked"]"#, "--countdown", "20"])
            try await waitUntil(timeout: .seconds(20), "the countdown task delayed") { try await h.binary.status().delayed == 1 }

            let revoke = try await celeryCLI(h, ["control", "revoke", revokedID, "-d", Self.node], name: "revoke")
            #expect(revoke.output.contains("tasks {'\(revokedID)'} flagged as revoked"), "\(revoke.output)")
            let listed = try await celeryCLI(h, ["inspect", "revoked", "-d", Self.node], name: "inspect-revoked")
            #expect(listed.output.contains(revokedID), "\(listed.output)")

            // When it comes due it is not run: dead-lettered as revoked (an operator can still replay it).
            try await waitUntil(timeout: .seconds(60), "the revoked task dead-lettered") { try await h.binary.status().deadLetters == 1 }
            let letters = try await h.binary.deadLetters()
            #expect(letters.map(\.id) == [revokedID])
            #expect(letters.first?.reason == "revoked")
            // The worker goes on with everything else.
            let otherID = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:revoke", "other"]"#])
            try await h.awaitList("citizen:revoke", "the next task ran") { $0.contains("other") }
            #expect(try await !h.list("citizen:revoke").contains("revoked"))
            #expect(worker.log.contains("task revoked; not run"))
            _ = otherID
            worker.child.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
        }
    }

    @Test func statusListsPythonAndSwiftWorkersSideBySide() async throws {
        try await Harness.with(["DISCORD_WORKER_NODE_NAME": Self.node]) { h in
            _ = try await h.startPythonWorker(queues: "pyq")
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")
            let status = try await celeryCLI(h, ["status"], name: "status")
            #expect(status.output.contains("\(Self.node): OK"), "\(status.output)")
            #expect(status.output.contains("2 nodes online"), "\(status.output)")
            let both = try await celeryCLI(h, ["inspect", "ping"], name: "ping-all")
            #expect(both.output.contains("\(Self.node): OK") && both.output.contains("py-"), "\(both.output)")
            #expect(both.output.contains("2 nodes online"), "\(both.output)")
            // Addressed to another node only: we must not answer.
            let other = try await celeryCLI(h, ["inspect", "ping", "-d", "someone@elsewhere"], name: "ping-other")
            #expect(!other.output.contains(Self.node), "\(other.output)")
            worker.child.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
        }
    }

    @Test func remoteControlSurvivesARedisRestart() async throws {
        try await Harness.with(["DISCORD_WORKER_NODE_NAME": Self.node]) { h in
            let worker = try h.startWorker(["run"], name: "worker")
            try await worker.waitForLog("celery remote control listening")
            try await h.redis.restart()
            // The worker resubscribes by itself: `celery inspect ping` is answered again.
            var answered = ""
            try await waitUntil(timeout: .seconds(60), interval: .milliseconds(500), "a ping reply after the restart") {
                let ping = try await celeryCLI(h, ["inspect", "ping", "-d", Self.node, "--timeout", "2"], name: "ping-after-restart")
                answered = ping.output
                return ping.output.contains("pong")
            }
            #expect(answered.contains(Self.node))
            #expect(worker.isRunning)
            worker.child.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
        }
    }

    @Test func aaDashboardCountsWhatTheWorkerRecorded() async throws {
        try await Harness.with(Harness.testTasks.merging(["DISCORD_TASKS_RETRY_PAUSE": "0"]) { $1 }) { h in
            try await withRedisClient(h.redis.url(db: 1), name: "cache-test") { cache in
                let worker = try h.startWorker(["run"], name: "worker")
                try await worker.waitForLog("worker started")
                var ids: [String] = []
                for value in ["a", "b", "c"] {
                    ids.append(try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:dash", "\#(value)"]"#]))
                }
                ids.append(try await h.binary.enqueue("discord_worker.test.retry", ["--kwargs", #"{"succeed_after": 2}"#]))
                ids.append(try await h.binary.enqueue("discord_worker.test.record", ["--args", "[]"]))  // bad arguments: a failure
                try await waitUntil(timeout: .seconds(60), "6 successes+retries+failures recorded") {
                    let reply = try await cache.pipeline(["SUCCEEDED", "RETRIED", "FAILED"].map {
                        ["ZCARD", RedisArgument("ALLIANCEAUTH_EVENT_SERIES_\($0)_TASKS_SORTED_SET")]
                    })
                    return reply.compactMap(\.int) == [4, 2, 1]
                }
                let script = try await PythonCelery.startScript(
                    "aa_dashboard.py", ["24"], brokerURL: h.brokerURL, directory: h.directory, name: "dashboard",
                    extraEnvironment: ["CACHE_URL": "redis://127.0.0.1:\(h.port)/1"])
                let result = try parseJSON(try await PythonCelery.awaitTaggedLine("RESULT", from: script))
                #expect(result["succeeded"] == 4)
                #expect(result["retried"] == 2)
                #expect(result["failed"] == 1)
                #expect(result["total"] == 7)
                #expect(result["earliest_task"]?.stringValue != nil)
                #expect(result["series"]?["succeeded"]?["all"]?.arrayValue?.count == 4)
                worker.child.signal(SIGTERM)
                #expect(try await h.exitCode(of: worker) == 0)

                // Disabled: nothing written (and a restart clears the series, as AA's worker_ready handler does).
                let quiet = try h.startWorker(["run"], name: "quiet", settings: ["ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED": "True"])
                try await quiet.waitForLog("worker started")
                let id = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["citizen:quiet", "x"]"#])
                try await h.awaitList("citizen:quiet", "the task ran") { $0 == ["x"] }
                _ = id
                quiet.child.signal(SIGTERM)
                #expect(try await h.exitCode(of: quiet) == 0)
                #expect(try await cache.command(["ZCARD", "ALLIANCEAUTH_EVENT_SERIES_SUCCEEDED_TASKS_SORTED_SET"]) == .integer(4))
            }
        }
    }
}
