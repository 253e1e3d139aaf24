import CeleryProtocol

extension Configuration {
    /// Where the tasks this process publishes go: AA's `task_routes` (`discord.*`) to the first of
    /// `DISCORD_WORKER_QUEUES` (`services` when unset), and any other name to that queue too, so a worker of
    /// this configuration takes what `enqueue` publishes.
    var taskRoutes: TaskRoutes {
        let queue = queues.first ?? "services"
        return .allianceAuth(queue: queue, defaultQueue: queue)
    }

    /// The routes of the callbacks and chain steps a worker publishes: like `taskRoutes` for `discord.*`, and
    /// Celery's default queue `celery` for other names (another service's worker consumes it).
    var continuationRoutes: TaskRoutes {
        .allianceAuth(queue: queues.first ?? "services")
    }
}
