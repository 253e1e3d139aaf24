import Synchronization
import ArgumentParser
import Broker
import CeleryControl
import DiscordTasks
import Foundation
import Logging
import WorkerRuntime

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Consume tasks until SIGTERM/SIGINT.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated Celery queues (default: DISCORD_WORKER_QUEUES or services).")
    var queues: String?
    @Option(help: "Tasks run at once in this process (default: DISCORD_WORKER_CONCURRENCY or 16).")
    var concurrency: Int?
    @Flag(help: "Exit with 0 once nothing is queued, delayed or in flight.")
    var exitWhenIdle = false

    func run() async throws {
        var config = try global.configuration()
        if let queues {
            let names = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw ValidationError("--queues needs at least one queue name") }
            config.queues = names
        }
        if let concurrency {
            guard (1...512).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 512") }
            config.concurrency = concurrency
        }
        let logger = makeLogger(config)
        var options = WorkerOptions()
        options.queues = config.queues
        options.concurrency = config.concurrency
        options.lease = .seconds(config.leaseSeconds)
        options.retryPause = .seconds(config.retryPauseSeconds)
        options.maxRetries = config.maxRetries
        options.exitWhenIdle = exitWhenIdle
        options.cacheURL = config.cacheURL
        options.resultBackendURL = config.resultBackendURL
        options.foreignTasks = config.foreignTasks
        options.routes = config.continuationRoutes
        if case .forward(let target) = options.foreignTasks, config.queues.contains(target) {
            throw ConfigurationError(variable: "DISCORD_WORKER_FOREIGN_TASKS",
                                     problem: "forwards to '\(target)', a queue this worker consumes (tasks would go round in circles)")
        }
        options.version = BuildInfo.current
        if let nodeName = config.nodeName { options.nodeName = nodeName }

        try await OwnedResources.scoped { resources in
            let registry = TaskRegistry()
            let database = try await TaskWiring.register(
                into: registry, configuration: config, lockHolder: (options.workerID, options.lease), resources: resources, logger: logger)
            let endpoint = try OperationsWiring.makeEndpoint(
                configuration: config, registry: registry, database: database, resources: resources, logger: logger)
            let celery = CeleryControlService(options: .init(
                nodeName: options.nodeName, brokerURL: config.brokerURL, queues: options.queues, concurrency: options.concurrency,
                sendTaskEvents: config.sendEvents, softwareVersion: CeleryControlService.softwareVersion), logger: logger)
            let statistics = config.dashboardTaskStatisticsDisabled ? nil : DashboardStatistics(cacheURL: config.cacheURL, logger: logger)
            let observers: [any TaskObserver] = [celery] + (statistics.map { [$0] } ?? []) + (endpoint.map { [$0.observer] } ?? [])
            let worker = Worker(options: options, registry: registry, brokerURL: config.brokerURL, logger: logger, observers: observers)
            if let statistics {
                statistics.start()
                resources.adopt("AA task statistics") { await statistics.stop() }
            }
            celery.start(worker: worker)
            resources.adopt("celery remote control") { await celery.stop() }
            try await OperationsWiring.run(worker: worker, endpoint: endpoint, resources: resources, logger: logger)
        }
    }
}

/// SIGTERM/SIGINT → a graceful stop (a second signal exits at once).
final class SignalHandler {
    private let sources: [any DispatchSourceSignal]

    init(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        let count = Mutex(0)
        sources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let n = count.withLock { $0 += 1; return $0 }
                if n > 1 { Foundation.exit(130) }
                onSignal(sig)
            }
            source.resume()
            return source
        }
    }
}
