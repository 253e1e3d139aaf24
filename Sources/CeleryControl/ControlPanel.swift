import Foundation
public import PythonCompat
import WorkerRuntime

/// What the worker does after a remote-control command besides replying.
public enum ControlEffect: Sendable, Equatable {
    case none
    /// `shutdown`: a graceful stop, as SIGTERM.
    case shutdown
    case enableEvents
    case disableEvents
    /// `heartbeat`: send a `worker-heartbeat` event now.
    case heartbeat
    /// `revoke`: these task ids are not run when they arrive.
    case revoke([String])
}

/// Celery's remote-control commands (celery/worker/control.py) answered from a ``WorkerSnapshot``: pure.
public enum ControlPanel {
    /// Commands answered with their Celery reply.
    public static let supported: [String] = [
        "ping", "active", "reserved", "scheduled", "registered", "stats", "active_queues", "report", "clock",
        "query_task", "revoke", "revoked", "hello", "enable_events", "disable_events", "heartbeat", "shutdown",
    ]
    /// Aliases Celery registers for the same handlers.
    static let aliases: [String: String] = [
        "dump_active": "active", "dump_reserved": "reserved", "dump_schedule": "scheduled", "dump_tasks": "registered",
        "dump_revoked": "revoked",
    ]
    /// Celery commands that change state the way this worker cannot; answered with `{"error": …}`.
    public static let refused: [String: String] = [
        "revoke_by_stamped_headers": "revoke_by_stamped_headers is not supported by discord-worker",
        "terminate": "terminate is not supported by discord-worker (tasks are not processes)",
        "rate_limit": "rate_limit is not supported by discord-worker (Discord's own rate limits apply)",
        "time_limit": "time_limit is not supported by discord-worker",
        "pool_restart": "pool_restart is not supported by discord-worker (restart the process)",
        "pool_grow": "pool_grow is not supported by discord-worker (set DISCORD_WORKER_CONCURRENCY)",
        "pool_shrink": "pool_shrink is not supported by discord-worker (set DISCORD_WORKER_CONCURRENCY)",
        "autoscale": "autoscale is not supported by discord-worker (set DISCORD_WORKER_CONCURRENCY)",
        "add_consumer": "add_consumer is not supported by discord-worker (set DISCORD_WORKER_QUEUES)",
        "cancel_consumer": "cancel_consumer is not supported by discord-worker (set DISCORD_WORKER_QUEUES)",
        "conf": "conf is not supported by discord-worker (it has no Celery configuration; see its environment)",
        "election": "election is not supported by discord-worker",
        "memsample": "memsample is not supported by discord-worker",
        "memdump": "memdump is not supported by discord-worker",
        "objgraph": "objgraph is not supported by discord-worker",
    ]

    /// The reply (`nil`: none, as for `shutdown`) and the effect of `request` on a worker in `snapshot`.
    public static func handle(_ request: PidboxRequest, snapshot: WorkerSnapshot) -> (reply: JSONValue?, effect: ControlEffect) {
        let method = aliases[request.method] ?? request.method
        let arguments = request.arguments
        switch method {
        case "ping":
            return (ok("pong"), .none)
        case "active":
            let safe = arguments["safe"]?.boolValue ?? false
            return (.array(snapshot.active.map { info($0.task, started: $0.started, safe: safe, snapshot: snapshot) }), .none)
        case "reserved":
            return (.array(snapshot.reserved.map { info($0, started: nil, safe: false, snapshot: snapshot) }), .none)
        case "scheduled":
            return (.array(snapshot.scheduled.map { task in
                ["eta": task.eta.map { .string(isoformat($0)) } ?? .null, "priority": 0,
                 "request": info(task, started: nil, safe: false, snapshot: snapshot)]
            }), .none)
        case "registered":
            let builtins = arguments["builtins"]?.boolValue ?? false
            let names = snapshot.registered.filter { builtins || !$0.hasPrefix("celery.") }.sorted()
            return (.array(names.map(JSONValue.string)), .none)
        case "stats":
            return (.object(stats(snapshot)), .none)
        case "active_queues":
            return (.array(snapshot.queues.map { .object(queueInfo($0)) }), .none)
        case "report":
            return (ok(report(snapshot)), .none)
        case "clock":
            return (["clock": .int(snapshot.clock)], .none)
        case "query_task":
            return (queryTask(arguments["ids"], snapshot: snapshot), .none)
        case "revoke":
            return revoke(arguments, snapshot: snapshot)
        case "revoked":
            return (.array(snapshot.revoked.map(JSONValue.string)), .none)
        case "hello":
            // Celery 5.7's mingle: merge the caller's revoked ids, reply with ours (oldest first).
            if arguments["from_node"]?.stringValue == snapshot.nodeName { return (.null, .none) }
            let theirs = arguments["revoked"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return (["revoked": .array(snapshot.revoked.map(JSONValue.string)), "clock": .int(snapshot.clock)],
                    theirs.isEmpty ? .none : .revoke(theirs))
        case "enable_events":
            return (ok(snapshot.eventsEnabled ? "task events already enabled" : "task events enabled"), .enableEvents)
        case "disable_events":
            return (ok(snapshot.eventsEnabled ? "task events disabled" : "task events already disabled"), .disableEvents)
        case "heartbeat":
            return (.null, .heartbeat)
        case "shutdown":
            // Celery raises WorkerShutdown before replying: no reply.
            return (nil, .shutdown)
        default:
            if let message = refused[method] { return (["error": .string(message)], .none) }
            // kombu's Node.dispatch: handlers[method] raises KeyError, replied as {'error': repr(exc)}.
            return (["error": .string("KeyError(\(pythonStringRepr(request.method)))")], .none)
        }
    }

    static func ok(_ text: String) -> JSONValue { ["ok": .string(text)] }

    /// Celery's `revoke(task_id, terminate=False, signal=None)`: flags the ids (one or a list) as revoked.
    /// A running task is never terminated here (tasks are not processes; each one finishes), which the
    /// reply says when `terminate` was asked for one.
    static func revoke(_ arguments: JSONObject, snapshot: WorkerSnapshot) -> (reply: JSONValue?, effect: ControlEffect) {
        var ids: [String] = []
        switch arguments["task_id"] {
        case .string(let id): ids = [id]
        case .array(let values): ids = values.compactMap(\.stringValue)
        default: break
        }
        var seen = Set<String>()
        ids = ids.filter { seen.insert($0).inserted }
        let text = ids.isEmpty ? "set()" : "{" + ids.sorted().map(pythonStringRepr).joined(separator: ", ") + "}"
        guard arguments["terminate"]?.boolValue == true else {
            return (ok("tasks \(text) flagged as revoked"), .revoke(ids))
        }
        let running = ids.filter { id in snapshot.active.contains { $0.task.id == id } }
        if running.isEmpty { return (ok("terminate: tasks unknown"), .revoke(ids)) }
        return (ok("tasks \(text) flagged as revoked; not terminated (discord-worker lets a running task finish): "
                   + running.sorted().joined(separator: ", ")), .revoke(ids))
    }

    /// Celery's `Request.info(safe=)`.
    static func info(_ task: ObservedTask, started: Date?, safe: Bool, snapshot: WorkerSnapshot) -> JSONValue {
        let args: JSONValue = safe ? .string(pythonRepr(.array(task.args))) : .array(task.args)
        let kwargs: JSONValue = safe ? .string(pythonRepr(.object(task.kwargs))) : .object(task.kwargs)
        let info: JSONObject = [
            "id": .string(task.id),
            "name": .string(task.name),
            "args": args,
            "kwargs": kwargs,
            "type": .string(task.name),
            "hostname": .string(snapshot.nodeName),
            "time_start": started.map { .double($0.timeIntervalSince1970) } ?? .null,
            // The message stays leased (not acknowledged) until its outcome is recorded.
            "acknowledged": false,
            "delivery_info": [
                "exchange": "", "routing_key": .string(task.queue), "priority": .int(Int64(priority(of: task))),
                "redelivered": false,
            ],
            "worker_pid": started == nil ? .null : .int(Int64(snapshot.pid)),
        ]
        return .object(info)
    }

    static func priority(of task: ObservedTask) -> Int {
        let key = task.sourceKey
        guard let range = key.range(of: KombuFanout.separator, options: .backwards) else { return 0 }
        return Int(key[range.upperBound...]) ?? 0
    }

    static func queryTask(_ ids: JSONValue?, snapshot: WorkerSnapshot) -> JSONValue {
        let wanted: [String]
        switch ids {
        case .string(let id): wanted = [id]
        case .array(let values): wanted = values.compactMap(\.stringValue)
        default: wanted = []
        }
        var result = JSONObject()
        for id in wanted {
            if let running = snapshot.active.first(where: { $0.task.id == id }) {
                result[id] = ["active", info(running.task, started: running.started, safe: false, snapshot: snapshot)]
            } else if let task = snapshot.reserved.first(where: { $0.id == id }) {
                result[id] = ["reserved", info(task, started: nil, safe: false, snapshot: snapshot)]
            } else if let task = snapshot.scheduled.first(where: { $0.id == id }) {
                result[id] = ["scheduled", info(task, started: nil, safe: false, snapshot: snapshot)]
            }
        }
        return .object(result)
    }

    /// Celery's `WorkController.stats()` keys: total, pid, clock, uptime, pool, broker, prefetch_count, rusage.
    static func stats(_ snapshot: WorkerSnapshot) -> JSONObject {
        var total = JSONObject()
        for name in snapshot.totals.keys.sorted() { total[name] = .int(Int64(snapshot.totals[name] ?? 0)) }
        return [
            "total": .object(total),
            "pid": .int(Int64(snapshot.pid)),
            "clock": .string(String(snapshot.clock)),
            "uptime": .int(Int64(max(0, snapshot.now.timeIntervalSince(snapshot.startedAt)))),
            "pool": [
                "implementation": "discord-worker:async",
                "max-concurrency": .int(Int64(snapshot.concurrency)),
                "processes": [.int(Int64(snapshot.pid))],
                "max-tasks-per-child": "N/A",
                "put-guarded-by-semaphore": false,
                "timeouts": [0, 0],
            ],
            "broker": [
                "hostname": .string(snapshot.brokerHost),
                "userid": nil,
                "virtual_host": .string(String(snapshot.brokerDatabase)),
                "port": snapshot.brokerPort.map { .int(Int64($0)) } ?? .null,
                "insist": false,
                "ssl": false,
                "transport": "redis",
                "connect_timeout": 4,
                "transport_options": [:],
                "login_method": nil,
                "uri_prefix": nil,
                "heartbeat": 120.0,
                "failover_strategy": "round-robin",
                "alternates": [],
            ],
            "prefetch_count": .int(Int64(snapshot.concurrency)),
            "rusage": .object(snapshot.rusage),
        ]
    }

    /// kombu `Queue(name, Exchange(name), name).as_dict(recurse=True)`: Celery's automatic queue for `name`.
    static func queueInfo(_ name: String) -> JSONObject {
        [
            "name": .string(name),
            "exchange": [
                "name": .string(name), "type": "direct", "arguments": nil, "durable": true, "passive": false,
                "auto_delete": false, "delivery_mode": nil, "no_declare": false,
            ],
            "routing_key": .string(name),
            "queue_arguments": nil,
            "binding_arguments": nil,
            "consumer_arguments": nil,
            "durable": true,
            "exclusive": false,
            "auto_delete": false,
            "no_ack": false,
            "alias": nil,
            "bindings": [],
            "no_declare": nil,
            "expires": nil,
            "message_ttl": nil,
            "max_length": nil,
            "max_length_bytes": nil,
            "max_priority": nil,
        ]
    }

    /// In place of Celery's `app.bugreport()`: software, platform, broker (without credentials), queues.
    static func report(_ snapshot: WorkerSnapshot) -> String {
        let port = snapshot.brokerPort.map { ":\($0)" } ?? ""
        return [
            "software -> discord-worker:\(snapshot.softwareVersion) (Swift) celery-protocol:2 transport:redis",
            "platform -> \(snapshot.platform)",
            "loader -> none (Alliance Auth's discord.* tasks are built in)",
            "",
            "broker_url: 'redis://\(snapshot.brokerHost)\(port)/\(snapshot.brokerDatabase)'",
            "queues: \(snapshot.queues.joined(separator: ", "))",
            "concurrency: \(snapshot.concurrency)",
            "task events: \(snapshot.eventsEnabled ? "enabled" : "disabled")",
            "",
        ].joined(separator: "\n")
    }

    /// Python's `datetime.isoformat()` for an aware UTC datetime: `2026-12-04T05:00:00.123456+00:00`.
    static func isoformat(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros / 1_000_000
        let fraction = micros % 1_000_000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func pad(_ n: Int?, _ width: Int) -> String {
            let s = String(n ?? 0)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var text = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        if fraction != 0 { text += "." + pad(Int(fraction), 6) }
        return text + "+00:00"
    }
}
