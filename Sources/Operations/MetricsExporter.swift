public import Broker
import CeleryProtocol
import CoreMetrics
import Foundation
public import Prometheus
import Synchronization
import WorkerMetrics
public import WorkerRuntime

/// The Prometheus side of `/metrics`: one registry, the swift-metrics factory writing into it, and the
/// gauges read from Redis when a scrape comes (queue depth per priority, delayed, in flight, dead letters,
/// bulk progress). Names: `MetricName`.
public final class MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    private let inspector: BrokerInspector?
    private let queues: [String]
    private let runningTasks: @Sendable () -> Int
    private let knownTasks: Set<String>?
    /// Bulk task names seen by earlier refreshes (their gauges drop to 0 when the sync ends).
    private let bulkNamesSeen = Mutex<Set<String>>([])

    /// Buckets of `discord_worker_task_duration_seconds`: single-user tasks take milliseconds to seconds,
    /// bulk syncs minutes to hours.
    public static let taskDurationBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(300), .seconds(1800), .seconds(7200),
    ]

    /// - Parameters:
    ///   - inspector: reads the broker's lists at scrape time (nil: no queue gauges, in unit tests).
    ///   - queues: the queues whose depth is exported, every priority list of each.
    ///   - runningTasks: handlers running in this process now.
    ///   - knownTasks: task names allowed as label values (others become `other`); nil = no filter (tests).
    public init(inspector: BrokerInspector?, queues: [String], knownTasks: Set<String>? = nil,
                runningTasks: @escaping @Sendable () -> Int = { 0 }) {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [MetricName.taskDuration: Self.taskDurationBuckets]
        self.factory = factory
        self.inspector = inspector
        self.queues = queues
        self.runningTasks = runningTasks
        self.knownTasks = knownTasks
    }

    /// Makes this exporter the process's swift-metrics backend (the Discord client's counters land here).
    /// Once per process.
    public func bootstrapMetricsSystem() {
        MetricsSystem.bootstrap(factory)
    }

    /// The Prometheus text exposition after refreshing the gauges (Redis errors leave the queue gauges
    /// as they were and set `discord_worker_broker_up` to 0).
    public func scrape() async -> [UInt8] {
        await refreshGauges()
        return registry.emitToBuffer()
    }

    func gauge(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory)
    }

    func refreshGauges() async {
        gauge(MetricName.tasksRunning).record(runningTasks())
        guard let inspector else { return }
        do {
            var keys: [String] = []
            var labels: [[(String, String)]] = []
            for queue in queues {
                for priority in KombuKeys.prioritySteps {
                    keys.append(KombuKeys.listKey(queue: queue, priority: priority))
                    labels.append([("queue", queue), ("priority", String(priority))])
                }
            }
            let lengths = try await inspector.lengths(of: keys)
            let delayed = try await inspector.delayedCount()
            let deadLetters = try await inspector.deadLetterCount()
            let inFlight = try await inspector.workers().reduce(0) { $0 + $1.inFlight }
            let bulk = try await inspector.bulkProgress()
            for (n, length) in lengths.enumerated() { gauge(MetricName.queueDepth, labels[n]).record(length) }
            gauge(MetricName.delayed).record(delayed)
            gauge(MetricName.deadLetters).record(deadLetters)
            gauge(MetricName.inFlight).record(inFlight)
            var done: [String: Int] = [:], total: [String: Int] = [:]
            func label(_ task: String) -> String { knownTasks.map { $0.contains(task) ? task : "other" } ?? task }
            for progress in bulk where !progress.finished {
                done[label(progress.task), default: 0] += progress.done
                total[label(progress.task), default: 0] += progress.total
            }
            let names = bulkNamesSeen.withLock { seen -> Set<String> in
                seen.formUnion(bulk.map { label($0.task) })
                return seen
            }
            for name in names {
                gauge(MetricName.bulkMembers, [("task", name), ("state", "done")]).record(done[name] ?? 0)
                gauge(MetricName.bulkMembers, [("task", name), ("state", "total")]).record(total[name] ?? 0)
            }
            gauge(MetricName.brokerUp).record(1)
        } catch {
            gauge(MetricName.brokerUp).record(0)
        }
    }
}

/// Task counters and run times from the worker's `TaskObserver` seam.
public struct TaskMetricsObserver: TaskObserver {
    private let factory: any MetricsFactory
    private let knownTasks: Set<String>

    /// - Parameter knownTasks: the registry's task names; any other name (an unknown task sent by
    ///   someone) is counted under `other`, so labels stay a closed set.
    public init(exporter: MetricsExporter, knownTasks: Set<String>) {
        factory = exporter.factory
        self.knownTasks = knownTasks
    }

    private func label(_ name: String?) -> String {
        guard let name, knownTasks.contains(name) else { return "other" }
        return name
    }

    private func count(_ task: String?, _ outcome: TaskOutcomeLabel) {
        CoreMetrics.Counter(label: MetricName.tasks, dimensions: [("task", label(task)), ("outcome", outcome.rawValue)], factory: factory)
            .increment()
    }

    public func taskFinished(_ task: ObservedTask, outcome: ObservedOutcome, runtime: Duration) {
        let name = label(task.name)
        switch outcome {
        case .succeeded: count(task.name, .succeeded)
        case .failed: count(task.name, .failed)
        case .retried: count(task.name, .retried)
        case .postponed: count(task.name, .postponed)
        }
        let (seconds, attoseconds) = runtime.components
        CoreMetrics.Timer(label: MetricName.taskDuration, dimensions: [("task", name)], factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    public func taskRejected(_ task: ObservedTask?, reason: String) {
        count(task?.name, .rejected)
    }

    public func taskRevoked(_ task: ObservedTask, reason: String, expired: Bool) {
        count(task.name, .revoked)
    }
}
