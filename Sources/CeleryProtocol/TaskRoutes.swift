/// Which queue a task name is published to: Celery's `task_routes` (glob patterns → queue, first match
/// wins) and `task_default_queue` for names no pattern matches.
///
/// Every producer in discord-worker routes through one value built from the configuration
/// (`DISCORD_WORKER_QUEUES`, see `allianceAuth(queue:defaultQueue:)`): `enqueue`, the tasks' own
/// fan-out (`TaskPublisher`), and the callbacks and chain steps the worker publishes.
public struct TaskRoutes: Sendable, Hashable {
    /// One `task_routes` entry: `pattern` is a glob as Celery's `fnmatch` reads it (`*` any run of
    /// characters, `?` one character; anything else literal).
    public struct Route: Sendable, Hashable {
        public var pattern: String
        public var queue: String

        public init(pattern: String, queue: String) {
            self.pattern = pattern
            self.queue = queue
        }
    }

    public var routes: [Route]
    /// The queue of names no route matches (Celery's `task_default_queue`, `celery` in a Celery app).
    public var defaultQueue: String

    public init(_ routes: [Route], defaultQueue: String = "celery") {
        self.routes = routes
        self.defaultQueue = defaultQueue
    }

    /// AA's `task_routes` (`{"discord.*": {"queue": "services"}}`) with the `discord.*` queue taken from the
    /// worker's configuration: the first of `DISCORD_WORKER_QUEUES`, `services` when nothing is configured.
    public static func allianceAuth(queue: String = "services", defaultQueue: String = "celery") -> TaskRoutes {
        TaskRoutes([Route(pattern: "discord.*", queue: queue)], defaultQueue: defaultQueue)
    }

    /// The queue of the first route whose pattern matches `task`; nil when none does.
    public func route(_ task: String) -> String? {
        routes.first { Self.matches(task, pattern: $0.pattern) }?.queue
    }

    /// `route(task)`, else `defaultQueue`.
    public func queue(for task: String) -> String {
        route(task) ?? defaultQueue
    }

    /// Glob match of the whole name (`*`, `?`), by Unicode scalars.
    static func matches(_ name: String, pattern: String) -> Bool {
        let text = Array(name.unicodeScalars)
        let glob = Array(pattern.unicodeScalars)
        var t = 0, g = 0
        var starAt: Int?, resumeAt = 0
        while t < text.count {
            if g < glob.count, glob[g] == "*" {
                starAt = g
                resumeAt = t
                g += 1
            } else if g < glob.count, glob[g] == "?" || glob[g] == text[t] {
                t += 1
                g += 1
            } else if let star = starAt {
                // Let the last `*` take one more character and try again.
                g = star + 1
                resumeAt += 1
                t = resumeAt
            } else {
                return false
            }
        }
        while g < glob.count, glob[g] == "*" { g += 1 }
        return g == glob.count
    }
}
