public import CeleryProtocol
import Foundation
public import RedisClient

/// How a worker process runs. Built by the CLI from the environment; defaults match AA's.
public struct WorkerOptions: Sendable {
    /// Celery queue names to consume, in priority order (AA: `services`).
    public var queues: [String] = ["services"]
    /// Tasks run at once in this process.
    public var concurrency: Int = 16
    /// A dead worker's messages are taken over within about this long.
    public var lease: Duration = .seconds(30)
    /// `DISCORD_TASKS_RETRY_PAUSE`.
    public var retryPause: Duration = .seconds(60)
    /// `DISCORD_TASKS_MAX_RETRIES`.
    public var maxRetries: Int = 3
    /// How long running tasks may finish after SIGTERM before their messages are returned.
    public var shutdownGrace: Duration = .seconds(25)
    /// Return when nothing is queued, delayed or in flight.
    public var exitWhenIdle: Bool = false
    /// Unique per process.
    public var workerID: String
    /// Celery node name (`DISCORD_WORKER_NODE_NAME`, default `discord-worker@HOST`): remote control, events and
    /// the `origin` of published messages.
    public var nodeName: String
    /// Priority of published continuations without one (AA's `task_default_priority`).
    public var defaultPriority: Int = 5
    /// Where published callbacks and chain steps without a queue of their own go: AA's `task_routes` with the
    /// `discord.*` queue from the configuration (`TaskRoutes.allianceAuth`; `services` by default).
    public var routes: TaskRoutes = .allianceAuth()
    /// `CACHE_URL`: where AA's celery_once locks live (db 1).
    public var cacheURL: RedisURL?
    /// `CELERY_RESULT_BACKEND`, when results are stored.
    public var resultBackendURL: RedisURL?
    /// How long result meta is kept (Celery's `result_expires`).
    public var resultExpires: Int = 86_400
    /// `DISCORD_WORKER_FOREIGN_TASKS`: what happens to tasks that are not ours on a consumed queue.
    public var foreignTasks: ForeignTasks = .forward(queue: "celery")
    /// The build, for the "worker started" line, the worker's registration and remote-control `stats`.
    public var version: VersionInfo?

    public init(workerID: String? = nil) {
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let suffix = UUID().uuidString.prefix(8).lowercased()
        self.workerID = workerID ?? "\(host)-\(pid)-\(suffix)"
        self.nodeName = "discord-worker@\(host)"
    }

    /// Task name prefixes this worker owns: an unknown name there is our error (dead-lettered as an unknown
    /// task), never another service's task to forward.
    /// (`celery.*` built-ins other than `celery.ping`, e.g. `celery.chord_unlock`, are forwarded: Celery runs them.)
    public var ownNamespaces: [String] = ["discord.", "discord_worker."]

    public func ownsNamespace(of task: String) -> Bool {
        ownNamespaces.contains { task.hasPrefix($0) }
    }

    public func route(_ task: String) -> String? {
        routes.route(task)
    }
}

/// Tasks on a consumed queue that this worker does not run (AA operators route other services there).
public enum ForeignTasks: Sendable, Equatable {
    /// LPUSH the message, bytes untouched, onto `queue` at the priority it had (default: Celery's `celery`).
    case forward(queue: String)
    /// Dead-letter it as an unknown task.
    case deadLetter

    /// Parses `forward:QUEUE` or `dead-letter`; nil when the text is neither.
    public init?(setting: String) {
        let text = setting.trimmingCharacters(in: .whitespaces)
        if text == "dead-letter" { self = .deadLetter; return }
        guard text.hasPrefix("forward:") else { return nil }
        let queue = text.dropFirst("forward:".count).trimmingCharacters(in: .whitespaces)
        guard !queue.isEmpty, !queue.contains("\u{06}\u{16}"), !queue.contains(",") else { return nil }
        self = .forward(queue: queue)
    }
}
