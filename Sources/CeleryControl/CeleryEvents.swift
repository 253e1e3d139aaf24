public import Foundation
public import PythonCompat
public import WorkerRuntime

/// Celery's events (celery/events/dispatcher.py, celery/worker/heartbeat.py, celery/worker/request.py) as
/// JSON objects: pure. Every event carries `hostname`, `utcoffset`, `pid`, `clock`, its own fields,
/// `timestamp` and `type`, in that order, like `EventDispatcher._prepare_event` + `Event()`.
public struct CeleryEvents: Sendable {
    public static let exchange = "celeryev"
    /// Celery's default `worker_heartbeat` interval (`HEARTBEAT_FREQ`), seconds.
    public static let heartbeatInterval: Double = 2.0

    public var hostname: String
    public var pid: Int32
    public var softwareVersion: String
    /// Hours west of UTC, as `celery.utils.time.utcoffset()` (`time.timezone / 3600`).
    public var utcoffset: Double

    public init(hostname: String, pid: Int32, softwareVersion: String,
                utcoffset: Double = -Double(TimeZone.current.secondsFromGMT()) / 3600) {
        self.hostname = hostname
        self.pid = pid
        self.softwareVersion = softwareVersion
        self.utcoffset = utcoffset == 0 ? 0 : utcoffset
    }

    /// The routing key of an event type (`task-received` → `task.received`).
    public static func routingKey(_ type: String) -> String { type.replacingOccurrences(of: "-", with: ".") }

    /// One event: the common fields, `fields`, then `timestamp` and `type`.
    public func event(_ type: String, _ fields: JSONObject, clock: Int64, now: Date) -> JSONObject {
        var event: JSONObject = [
            "hostname": .string(hostname),
            "utcoffset": .double(utcoffset),
            "pid": .int(Int64(pid)),
            "clock": .int(clock),
        ]
        for (key, value) in fields { event[key] = value }
        event["timestamp"] = .double(now.timeIntervalSince1970)
        event["type"] = .string(type)
        return event
    }

    /// `worker-online`, `worker-heartbeat`, `worker-offline` fields (celery/worker/heartbeat.py).
    public func workerFields(active: Int, processed: Int, loadavg: [Double]) -> JSONObject {
        [
            "freq": .double(Self.heartbeatInterval),
            "active": .int(Int64(active)),
            "processed": .int(Int64(processed)),
            "loadavg": .array(loadavg.map { .double(($0 * 100).rounded() / 100) }),
            "sw_ident": "discord-worker",
            "sw_ver": .string(softwareVersion),
            "sw_sys": "Linux",
        ]
    }

    /// `task-received` (celery/worker/strategy.py): args/kwargs as repr strings, eta/expires isoformat.
    public static func received(_ task: ObservedTask) -> JSONObject {
        [
            "uuid": .string(task.id),
            "name": .string(task.name),
            "args": .string(pythonRepr(.array(task.args))),
            "kwargs": .string(pythonRepr(.object(task.kwargs))),
            "root_id": .string(task.rootID ?? task.id),
            "parent_id": task.parentID.map(JSONValue.string) ?? .null,
            "retries": .int(Int64(task.retries)),
            "eta": task.eta.map { .string(ControlPanel.isoformat($0)) } ?? .null,
            "expires": task.expires.map { .string(ControlPanel.isoformat($0)) } ?? .null,
        ]
    }

    /// `task-started`.
    public static func started(_ task: ObservedTask) -> JSONObject { ["uuid": .string(task.id)] }

    /// `task-succeeded`: `result` is the repr of the return value, `runtime` seconds.
    public static func succeeded(_ task: ObservedTask, result: JSONValue, runtime: Duration) -> JSONObject {
        ["uuid": .string(task.id), "result": .string(truncatedRepr(result)), "runtime": .double(seconds(runtime))]
    }

    /// `task-failed`: `exception` is a Python-style repr, `traceback` a one-frame text (no Python stack exists).
    public static func failed(_ task: ObservedTask, reason: String) -> JSONObject {
        ["uuid": .string(task.id), "exception": .string(exceptionRepr(reason)), "traceback": .string(traceback(reason))]
    }

    /// `task-retried`.
    public static func retried(_ task: ObservedTask, reason: String) -> JSONObject {
        ["uuid": .string(task.id), "exception": .string(exceptionRepr(reason)), "traceback": .string(traceback(reason))]
    }

    /// The `task-failed` Celery sends for a task name it does not know (`Consumer.on_unknown_task`).
    public static func notRegistered(_ task: ObservedTask) -> JSONObject {
        ["uuid": .string(task.id), "exception": .string("NotRegistered(\(pythonStringRepr(task.name)))")]
    }

    /// `task-revoked` (`expired=True` for an expired task).
    public static func revoked(_ task: ObservedTask, expired: Bool) -> JSONObject {
        ["uuid": .string(task.id), "terminated": false, "signum": nil, "expired": .bool(expired)]
    }

    static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }

    /// `saferepr(result, resultrepr_maxsize=1024)`.
    static func truncatedRepr(_ value: JSONValue) -> String {
        let text = pythonRepr(value)
        return text.count > 1024 ? String(text.prefix(1021)) + "..." : text
    }

    static func exceptionRepr(_ reason: String) -> String { "TaskError(\(pythonStringRepr(reason)))" }

    static func traceback(_ reason: String) -> String {
        "Traceback (most recent call last):\n  discord-worker (Swift): no Python traceback\nTaskError: \(reason)\n"
    }
}
