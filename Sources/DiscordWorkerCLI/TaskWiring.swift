import DiscordTasks
import Logging
import WorkerRuntime

/// Connects the task registry with the Discord task handlers.
enum TaskWiring {
    static func register(into registry: TaskRegistry, configuration: Configuration, logger: Logger) async throws {
        AATaskCatalog.registerPlaceholders(into: registry)
        TestTasks.registerIfEnabled(into: registry, configuration: configuration, logger: logger)  // test-only, see TestTasks
    }
}
