import CoreMetrics

/// Every metric of the process, in one place: names carry their unit and `_total` for counters, labels
/// take values from closed sets only (task names the registry knows, route templates, HTTP status codes,
/// queue names from the configuration, priorities 0-9), never a user, guild, role or message id.
///
/// Code records through swift-metrics (no-ops until a backend is bootstrapped); the CLI bootstraps
/// Prometheus when `DISCORD_WORKER_HTTP_ADDRESS` is set and serves it on `/metrics`.
public enum MetricName {
    /// Counter `{task, outcome}`: finished or refused tasks. `outcome` is one of `TaskOutcomeLabel`.
    public static let tasks = "discord_worker_tasks_total"
    /// Histogram `{task}`: the handler's run time (what Celery calls runtime).
    public static let taskDuration = "discord_worker_task_duration_seconds"
    /// Gauge: handlers running in this process now.
    public static let tasksRunning = "discord_worker_tasks_running"
    /// Gauge `{queue, priority}`: messages waiting in the queue's Redis list of that priority.
    public static let queueDepth = "discord_worker_queue_depth_messages"
    /// Gauge: messages waiting for their ETA / retry time (the delayed sorted set).
    public static let delayed = "discord_worker_delayed_messages"
    /// Gauge: messages held by all workers (their in-flight lists).
    public static let inFlight = "discord_worker_in_flight_messages"
    /// Gauge: dead letters kept for the operator.
    public static let deadLetters = "discord_worker_dead_letters_messages"
    /// Gauge: 1 when the last refresh of the queue gauges could read Redis, else 0.
    public static let brokerUp = "discord_worker_broker_up"
    /// Gauge `{task, state}`: members of running bulk syncs, `state` = `done` or `total`.
    public static let bulkMembers = "discord_worker_bulk_members"
    /// Counter `{route, status}`: Discord HTTP requests by route template (`PATCH /guilds/:id/members/:id`)
    /// and status code (`error` when no response came).
    public static let discordRequests = "discord_api_requests_total"
    /// Counter `{route, scope}`: 429 answers (`scope`: `global`, `bucket` or `shared`, the limiter's verdict).
    public static let discordRateLimited = "discord_api_rate_limited_total"
    /// Counter `{route}`: seconds spent waiting for the shared rate limiter before sending.
    public static let discordRateLimitWait = "discord_api_rate_limit_wait_seconds_total"

    /// Every name above, for documentation tests.
    public static let all = [
        tasks, taskDuration, tasksRunning, queueDepth, delayed, inFlight, deadLetters, brokerUp, bulkMembers,
        discordRequests, discordRateLimited, discordRateLimitWait,
    ]
}

/// The `outcome` label of `discord_worker_tasks_total` (Celery's event names).
public enum TaskOutcomeLabel: String, Sendable, CaseIterable {
    case succeeded, failed, retried, postponed, rejected, revoked
}

/// Recording helpers used by the library targets (so names and labels are spelled once).
public enum WorkerMetrics {
    /// One Discord HTTP attempt: `status` nil when no response came (timeout, connection).
    public static func discordRequest(route: String, status: Int?) {
        Counter(label: MetricName.discordRequests, dimensions: [("route", route), ("status", status.map(String.init) ?? "error")])
            .increment()
    }

    /// One 429 answer.
    public static func discordRateLimited(route: String, scope: String) {
        Counter(label: MetricName.discordRateLimited, dimensions: [("route", route), ("scope", scope)]).increment()
    }

    /// A wait before sending, imposed by the shared limiter.
    public static func discordRateLimitWait(route: String, _ wait: Duration) {
        let (seconds, attoseconds) = wait.components
        FloatingPointCounter(label: MetricName.discordRateLimitWait, dimensions: [("route", route)])
            .increment(by: Double(seconds) + Double(attoseconds) / 1e18)
    }
}
