import Broker
import HostDatabase
import Logging
import Operations
import RedisClient
import ServiceLifecycle
import Synchronization
import WorkerRuntime

/// `run`'s services: the resources `run` opened, the operations endpoint (when `DISCORD_WORKER_HTTP_ADDRESS`
/// is set) and the worker, in one `ServiceGroup`. Graceful shutdown goes in reverse order: the worker drains
/// first (probes say "shutting down" meanwhile), then the endpoint closes, then the resources.
enum OperationsWiring {
    /// The metrics exporter, the task observer feeding it and the endpoint service; nil when the endpoint
    /// is off (then nothing is recorded: swift-metrics stays on its no-op backend).
    struct Endpoint {
        var service: OperationsService
        var observer: TaskMetricsObserver
        var worker: WorkerReference
    }

    /// Binds the endpoint (a busy or bad address stops the program with one line) and makes the exporter
    /// the process's metrics backend.
    static func makeEndpoint(configuration: Configuration, registry: TaskRegistry, database: any HostDatabase,
                             resources: OwnedResources, logger: Logger) throws(ConfigurationError) -> Endpoint? {
        guard let address = configuration.httpAddress else { return nil }
        let worker = WorkerReference()
        // Its own connections: a scrape or probe never waits behind the worker's commands.
        let metricsRedis = RedisClient(url: configuration.brokerURL, name: "metrics", connectTimeout: .seconds(1), socketTimeout: .seconds(2))
        let probeRedis = RedisClient(url: configuration.brokerURL, name: "readiness", connectTimeout: .seconds(1), socketTimeout: .seconds(2))
        resources.adopt(metricsRedis)
        resources.adopt(probeRedis)
        let exporter = MetricsExporter(inspector: BrokerInspector(redis: metricsRedis), queues: configuration.queues,
                                       knownTasks: Set(registry.names), runningTasks: { worker.runningTasks })
        exporter.bootstrapMetricsSystem()
        let routes = OperationsRoutes(
            exporter: exporter,
            readiness: [
                ReadinessCheck(name: "broker") { try await probeRedis.command(["PING"]) },
                ReadinessCheck(name: "database") { try await databaseReachable(database) },
            ],
            isShuttingDown: { worker.isShuttingDown })
        do {
            let service = try OperationsService(address: address, routes: routes, logger: logger)
            return Endpoint(service: service, observer: TaskMetricsObserver(exporter: exporter, knownTasks: Set(registry.names)),
                            worker: worker)
        } catch {
            throw ConfigurationError(variable: "DISCORD_WORKER_HTTP_ADDRESS", problem: error.description)
        }
    }

    /// The readiness probe's database check (a cheap round trip on either backend).
    static func databaseReachable(_ database: any HostDatabase) async throws {
        try await database.ping()
    }

    /// Runs the worker (and the endpoint) until SIGTERM/SIGINT or, with `--exit-when-idle`, until idle;
    /// then closes `resources` (last, after the worker and the endpoint).
    static func run(worker: Worker, endpoint: Endpoint?, resources: OwnedResources, logger: Logger) async throws {
        endpoint?.worker.set(worker)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: ResourcesService(resources: resources))]
        if let endpoint { services.append(.init(service: endpoint.service)) }
        services.append(.init(service: WorkerService(worker: worker),
                              successTerminationBehavior: .gracefullyShutdownGroup,
                              failureTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        // Signals are handled by `SignalHandler` (a second signal exits at once), which triggers this group.
        configuration.gracefulShutdownSignals = []
        configuration.cancellationSignals = []
        configuration.maximumGracefulShutdownDuration = worker.options.shutdownGrace + .seconds(15)
        let group = ServiceGroup(configuration: configuration)
        let signals = SignalHandler { signal in
            logger.info("signal received: finishing running tasks, taking no new ones", metadata: ["signal": "\(signal)"])
            worker.requestStop()
            Task { await group.triggerGracefulShutdown() }
        }
        try await group.run()
        _ = signals
    }
}

/// The worker as a `Service`: graceful shutdown = `requestStop()` (running tasks get the grace period).
struct WorkerService: Service {
    let worker: Worker

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            worker.requestStop()
        }
    }
}

/// The worker, known to the endpoint once it exists (the endpoint's observer is needed to create it).
final class WorkerReference: Sendable {
    private let worker = Mutex<Worker?>(nil)

    func set(_ worker: Worker) { self.worker.withLock { $0 = worker } }

    var isShuttingDown: Bool { worker.withLock { $0 }?.isShuttingDown ?? false }
    var runningTasks: Int { worker.withLock { $0 }?.activeTasks.count ?? 0 }
}
