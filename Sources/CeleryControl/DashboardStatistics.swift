import Foundation
import Synchronization
public import Logging
import PythonCompat
public import RedisClient
public import WorkerRuntime

/// Alliance Auth's dashboard task statistics (allianceauth/authentication/task_statistics, AA 5.5): the
/// `EventSeries` that AA's Celery signal handlers feed, written in the `CACHE_URL` database with the same
/// raw keys (django-redis's client, no Django key prefix) and data types:
///
/// - `ALLIANCEAUTH_EVENT_SERIES_<ID>_COUNTER`: a string counter (`INCR`) giving each event its member id;
/// - `ALLIANCEAUTH_EVENT_SERIES_<ID>_SORTED_SET`: a sorted set, member = that id, score = the event's Unix time.
///
/// `<ID>` is `SUCCEEDED_TASKS` (signal `task_success`), `RETRIED_TASKS` (`task_retry`) or `FAILED_TASKS`
/// (`task_failure`). Like AA's `worker_ready` handler, starting the worker clears the three series.
public final class DashboardStatistics: TaskObserver, Sendable {
    public enum Series: String, Sendable, CaseIterable {
        case succeeded = "SUCCEEDED_TASKS"
        case retried = "RETRIED_TASKS"
        case failed = "FAILED_TASKS"

        /// `EventSeries._key_counter`.
        public var counterKey: String { "ALLIANCEAUTH_EVENT_SERIES_\(rawValue)_COUNTER" }
        /// `EventSeries._key_sorted_set`.
        public var sortedSetKey: String { "ALLIANCEAUTH_EVENT_SERIES_\(rawValue)_SORTED_SET" }
    }

    /// The series an outcome counts in, as AA's signal handlers see Celery's signals. A postponement is a
    /// `self.retry(countdown=…)` in AA's Python tasks, hence a retry.
    public static func series(for outcome: ObservedOutcome) -> Series {
        switch outcome {
        case .succeeded: return .succeeded
        case .failed: return .failed
        case .retried, .postponed: return .retried
        }
    }

    /// `EventSeries.add`: `INCR` the counter, then `ZADD` the new id with the event time (as one script).
    static let addScript = RedisScript("""
        local id = redis.call('INCR', KEYS[1])
        redis.call('ZADD', KEYS[2], ARGV[1], id)
        return id
        """)

    private let redis: RedisClient
    private let logger: Logger
    private let events: AsyncStream<(Series, Date)>
    private let continuation: AsyncStream<(Series, Date)>.Continuation
    private let writer = Mutex<Task<Void, Never>?>(nil)

    public init(cacheURL: RedisURL, logger: Logger) {
        self.redis = RedisClient(url: cacheURL, name: "aa-task-statistics")
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: (Series, Date).self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Clears the series (AA's `reset_counters_when_celery_restarted`), then writes events as they come, on its
    /// own task (events of tasks that finish meanwhile wait in order).
    public func start() {
        let task = Task { [events, redis, logger] in
            do {
                try await redis.command(["DEL"] + Series.allCases.flatMap { [RedisArgument($0.sortedSetKey), RedisArgument($0.counterKey)] })
            } catch {
                logger.warning("AA task statistics: cannot reset the counters", metadata: [LogKey.error: "\(error)"])
            }
            for await (series, time) in events {
                do {
                    try await redis.eval(Self.addScript, keys: [RedisArgument(series.counterKey), RedisArgument(series.sortedSetKey)],
                                         args: [RedisArgument(pythonFloatRepr(time.timeIntervalSince1970))])
                } catch {
                    logger.warning("AA task statistics: event not recorded", metadata: [LogKey.error: "\(error)"])
                }
            }
        }
        writer.withLock { $0 = task }
    }

    /// Writes what is queued, then closes the connection.
    public func stop() async {
        continuation.finish()
        let task = writer.withLock { $0 }
        await task?.value
        await redis.close()
    }

    public func taskFinished(_ task: ObservedTask, outcome: ObservedOutcome, runtime: Duration) {
        continuation.yield((Self.series(for: outcome), Date()))
    }
}
