import CeleryControl
import Foundation
import PythonCompat
import Testing
import WorkerRuntime

@Suite("Celery remote control and events: pure message building")
struct ControlPanelTests {
    static let task = ObservedTask(
        id: "6c3f0e1e-0000-4000-8000-000000000001", name: "discord.update_groups", args: [42], kwargs: ["force": true],
        retries: 1, queue: "services", sourceKey: "services\u{06}\u{16}5", rootID: nil, parentID: nil,
        received: Date(timeIntervalSince1970: 1_700_000_000))

    static func snapshot(active: [(task: ObservedTask, started: Date)] = [], reserved: [ObservedTask] = [],
                         scheduled: [ObservedTask] = [], events: Bool = false) -> WorkerSnapshot {
        WorkerSnapshot(
            nodeName: "discord-worker@host", pid: 123, clock: 7, startedAt: Date(timeIntervalSince1970: 1_700_000_000),
            now: Date(timeIntervalSince1970: 1_700_000_100), concurrency: 16, queues: ["services"],
            registered: ["celery.ping", "discord.update_groups", "discord.add_user"], active: active, reserved: reserved,
            scheduled: scheduled, totals: ["discord.update_groups": 3], brokerHost: "127.0.0.1", brokerPort: 6379,
            brokerDatabase: 0, eventsEnabled: events, softwareVersion: "1.0.0", rusage: ["maxrss": 4096],
            platform: "system:Linux arch:x86_64 kernel version:6.1.0")
    }

    static func pidboxPayload(_ body: JSONObject, clock: Int64 = 5) -> [UInt8] {
        KombuFanout.envelope(body: .object(body), headers: ["clock": .int(clock), "expires": 0], exchange: "celery.pidbox",
                             routingKey: "", deliveryMode: 1)
    }

    @Test func channelNamesFollowKombuFanoutRules() {
        #expect(KombuFanout.channel(exchange: "celery.pidbox", database: 0) == "/0.celery.pidbox")
        #expect(KombuFanout.channel(exchange: "celeryev", routingKey: "worker.heartbeat", database: 3) == "/3.celeryev/worker.heartbeat")
        #expect(KombuFanout.bindingKey(exchange: "reply.celery.pidbox") == "_kombu.binding.reply.celery.pidbox")
        let sep = KombuFanout.separator
        let members = ["abc\(sep)\(sep)abc.reply.celery.pidbox", "def\(sep)\(sep)def.reply.celery.pidbox", "broken"]
        #expect(KombuFanout.directQueues(bindings: members, routingKey: "abc") == ["abc.reply.celery.pidbox"])
        #expect(KombuFanout.directQueues(bindings: members, routingKey: "zzz").isEmpty)
    }

    @Test func requestsDecodeAndAddressingFollowsKombu() throws {
        let body: JSONObject = [
            "method": "ping", "arguments": [:], "destination": nil, "pattern": nil, "matcher": nil,
            "ticket": "t-1", "reply_to": ["exchange": "reply.celery.pidbox", "routing_key": "oid-1"],
        ]
        let request = try PidboxRequest.decode(Self.pidboxPayload(body)).get()
        #expect(request.method == "ping")
        #expect(request.ticket == "t-1")
        #expect(request.replyRoutingKey == "oid-1")
        #expect(request.clock == 5)
        #expect(request.wantsReply)
        #expect(request.isAddressed(to: "discord-worker@host"))

        var addressed = request
        addressed.destination = ["celery@other"]
        #expect(!addressed.isAddressed(to: "discord-worker@host"))
        addressed.destination = ["celery@other", "discord-worker@host"]
        #expect(addressed.isAddressed(to: "discord-worker@host"))
        addressed.destination = nil
        addressed.pattern = "discord-*@*"
        addressed.matcher = "glob"
        #expect(addressed.isAddressed(to: "discord-worker@host"))
        #expect(!addressed.isAddressed(to: "celery@host"))
        addressed.pattern = "disc.*"
        addressed.matcher = "pcre"
        #expect(addressed.isAddressed(to: "discord-worker@host"))
        #expect(!addressed.isAddressed(to: "celery@discord"))

        guard case .failure = PidboxRequest.decode(Array("not json".utf8)) else {
            Issue.record("garbage must not decode")
            return
        }
    }

    @Test func inspectRepliesHaveCeleryShapes() {
        let started = Date(timeIntervalSince1970: 1_700_000_050)
        let snapshot = Self.snapshot(active: [(Self.task, started)])
        func reply(_ method: String, _ arguments: JSONObject = [:]) -> JSONValue? {
            ControlPanel.handle(PidboxRequest(method: method, arguments: arguments), snapshot: snapshot).reply
        }
        #expect(reply("ping") == ["ok": "pong"])
        let active = reply("active")?.arrayValue ?? []
        #expect(active.count == 1)
        #expect(active.first?["id"] == .string(Self.task.id))
        #expect(active.first?["name"] == "discord.update_groups")
        #expect(active.first?["args"] == [42])
        #expect(active.first?["hostname"] == "discord-worker@host")
        #expect(active.first?["time_start"] == .double(1_700_000_050))
        #expect(active.first?["delivery_info"]?["routing_key"] == "services")
        #expect(active.first?["delivery_info"]?["priority"] == 5)
        #expect(reply("active", ["safe": true])?[0]?["args"] == "[42]")
        #expect(reply("dump_active") == reply("active"))
        #expect(reply("registered") == ["discord.add_user", "discord.update_groups"])
        #expect(reply("registered", ["builtins": true])?.arrayValue?.count == 3)
        #expect(reply("reserved") == [])
        #expect(reply("scheduled") == [])
        #expect(reply("clock") == ["clock": 7])
        let stats = reply("stats")
        #expect(stats?["total"] == ["discord.update_groups": 3])
        #expect(stats?["pid"] == 123)
        #expect(stats?["uptime"] == 100)
        #expect(stats?["pool"]?["max-concurrency"] == 16)
        #expect(stats?["broker"]?["transport"] == "redis")
        #expect(stats?["rusage"] == ["maxrss": 4096])
        let queues = reply("active_queues")
        #expect(queues?[0]?["name"] == "services")
        #expect(queues?[0]?["exchange"]?["type"] == "direct")
        #expect(reply("report")?["ok"]?.stringValue?.contains("discord-worker") == true)
        #expect(reply("report")?["ok"]?.stringValue?.contains("platform -> system:Linux") == true)
        #expect(ProcessFacts.rusage()["maxrss"]?.intValue ?? 0 > 0)
        #expect(ProcessFacts.platform().hasPrefix("system:"))
        #expect(reply("query_task", ["ids": [.string(Self.task.id), "unknown"]])?[Self.task.id]?[0] == "active")
    }

    @Test func stateChangingCommandsAreImplementedOrRefused() {
        let snapshot = Self.snapshot()
        let enable = ControlPanel.handle(PidboxRequest(method: "enable_events"), snapshot: snapshot)
        #expect(enable.reply == ["ok": "task events enabled"])
        #expect(enable.effect == .enableEvents)
        let disable = ControlPanel.handle(PidboxRequest(method: "disable_events"), snapshot: Self.snapshot(events: true))
        #expect(disable.reply == ["ok": "task events disabled"])
        #expect(disable.effect == .disableEvents)
        let shutdown = ControlPanel.handle(PidboxRequest(method: "shutdown"), snapshot: snapshot)
        #expect(shutdown.reply == nil)
        #expect(shutdown.effect == .shutdown)
        for method in ["revoke_by_stamped_headers", "rate_limit", "pool_restart", "add_consumer", "autoscale"] {
            let refused = ControlPanel.handle(PidboxRequest(method: method), snapshot: snapshot)
            #expect(refused.reply?["error"]?.stringValue?.contains("not supported by discord-worker") == true, "\(method)")
            #expect(refused.effect == .none)
        }
        #expect(ControlPanel.handle(PidboxRequest(method: "no_such"), snapshot: snapshot).reply == ["error": "KeyError('no_such')"])
    }

    @Test func revokeFlagsTheIdsAndRepliesAsCelery() {
        let snapshot = Self.snapshot()
        let one = ControlPanel.handle(PidboxRequest(method: "revoke", arguments: ["task_id": "abc", "terminate": false]), snapshot: snapshot)
        #expect(one.reply == ["ok": "tasks {'abc'} flagged as revoked"])
        #expect(one.effect == .revoke(["abc"]))
        let many = ControlPanel.handle(PidboxRequest(method: "revoke", arguments: ["task_id": ["b", "a", "b"]]), snapshot: snapshot)
        #expect(many.reply == ["ok": "tasks {'a', 'b'} flagged as revoked"])
        #expect(many.effect == .revoke(["b", "a"]))
        // terminate: Celery's reply when no listed task runs here; a running one is flagged, never killed.
        let unknown = ControlPanel.handle(PidboxRequest(method: "revoke", arguments: ["task_id": "abc", "terminate": true]), snapshot: snapshot)
        #expect(unknown.reply == ["ok": "terminate: tasks unknown"])
        let running = ControlPanel.handle(
            PidboxRequest(method: "revoke", arguments: ["task_id": .string(Self.task.id), "terminate": true]),
            snapshot: Self.snapshot(active: [(Self.task, Date(timeIntervalSince1970: 1_700_000_050))]))
        #expect(running.reply?["ok"]?.stringValue?.contains("not terminated") == true)
        #expect(running.effect == .revoke([Self.task.id]))
        var withRevoked = snapshot
        withRevoked.revoked = ["a", "b"]
        #expect(ControlPanel.handle(PidboxRequest(method: "revoked"), snapshot: withRevoked).reply == ["a", "b"])
        #expect(ControlPanel.handle(PidboxRequest(method: "dump_revoked"), snapshot: snapshot).reply == [])
        // hello (a starting worker's mingle): ours in the reply, theirs merged.
        let hello = ControlPanel.handle(
            PidboxRequest(method: "hello", arguments: ["from_node": "celery@other", "revoked": ["c"]]), snapshot: withRevoked)
        #expect(hello.reply?["revoked"] == ["a", "b"])
        #expect(hello.effect == .revoke(["c"]))
    }

    @Test func revokedIDsAreForgottenAfterTheirExpiryOrBeyondTheLimit() {
        let revoked = RevokedTasks(maxCount: 2, expiry: 60)
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        revoked.revoke(["a"], now: t0)
        revoked.revoke(["b"], now: t0.addingTimeInterval(1))
        #expect(revoked.contains("a", now: t0.addingTimeInterval(2)))
        revoked.revoke(["c"], now: t0.addingTimeInterval(2))
        #expect(revoked.ids(now: t0.addingTimeInterval(3)) == ["b", "c"])
        #expect(!revoked.contains("b", now: t0.addingTimeInterval(61)))
        #expect(revoked.contains("c", now: t0.addingTimeInterval(61)))
    }

    @Test func eventsCarryCeleryFields() {
        let events = CeleryEvents(hostname: "discord-worker@host", pid: 123, softwareVersion: "1.0.0", utcoffset: 0)
        let now = Date(timeIntervalSince1970: 1_700_000_000.5)
        let heartbeat = events.event("worker-heartbeat", events.workerFields(active: 2, processed: 9, loadavg: [0.123, 1, 2]),
                                     clock: 4, now: now)
        #expect(heartbeat.keys == ["hostname", "utcoffset", "pid", "clock", "freq", "active", "processed", "loadavg",
                                   "sw_ident", "sw_ver", "sw_sys", "timestamp", "type"])
        #expect(heartbeat["freq"] == 2.0)
        #expect(heartbeat["loadavg"] == [0.12, 1.0, 2.0])
        #expect(heartbeat["type"] == "worker-heartbeat")
        #expect(CeleryEvents.routingKey("task-received") == "task.received")

        var task = Self.task
        task.eta = Date(timeIntervalSince1970: 1_700_000_060)
        let received = CeleryEvents.received(task)
        #expect(received["args"] == "[42]")
        #expect(received["kwargs"] == "{'force': True}")
        #expect(received["root_id"] == .string(task.id))
        #expect(received["eta"] == "2023-11-14T22:14:20+00:00")
        #expect(received["expires"] == .null)
        let succeeded = CeleryEvents.succeeded(task, result: ["ok": nil], runtime: .milliseconds(1500))
        #expect(succeeded["result"] == "{'ok': None}")
        #expect(succeeded["runtime"] == 1.5)
        #expect(CeleryEvents.failed(task, reason: "boom")["exception"] == "TaskError('boom')")
        #expect(CeleryEvents.revoked(task, expired: true)["expired"] == true)
        #expect(CeleryEvents.notRegistered(task) == ["uuid": .string(task.id), "exception": "NotRegistered('discord.update_groups')"])
    }

    @Test func dashboardSeriesKeysAreAAs() {
        #expect(DashboardStatistics.Series.succeeded.counterKey == "ALLIANCEAUTH_EVENT_SERIES_SUCCEEDED_TASKS_COUNTER")
        #expect(DashboardStatistics.Series.failed.sortedSetKey == "ALLIANCEAUTH_EVENT_SERIES_FAILED_TASKS_SORTED_SET")
        #expect(DashboardStatistics.series(for: .succeeded(result: nil)) == .succeeded)
        #expect(DashboardStatistics.series(for: .retried(reason: "x")) == .retried)
        #expect(DashboardStatistics.series(for: .postponed(reason: "x")) == .retried)
        #expect(DashboardStatistics.series(for: .failed(reason: "x")) == .failed)
    }
}
