public import Broker
import CeleryProtocol
public import Foundation
public import Logging
public import RedisClient
import Synchronization

/// The worker process: takes messages from the broker, runs their tasks with bounded concurrency,
/// and records exactly one outcome per message (done, retry scheduled, or dead-lettered).
///
/// This type runs the loops: consuming (reserve as many messages as there are free slots), housekeeping
/// (heartbeat, takeover of dead workers, expired-lock sweep), the scheduler of delayed messages, and the
/// graceful shutdown. What happens to one message is `MessageProcessor`'s.
public final class Worker: Sendable {
    public let options: WorkerOptions
    public let registry: TaskRegistry
    public let broker: RedisBroker
    /// Task ids revoked by remote control: not run when they arrive.
    public let revoked = RevokedTasks()
    private let processor: MessageProcessor
    /// AA's cache (`CACHE_URL`), for the celery_once locks.
    private let cache: RedisClient?
    private let results: ResultBackend?
    private let logger: Logger
    private let acks: AckBatcher
    private let state = Mutex(State())
    /// Signalled when a task finishes (a slot is free), at `requestStop()`, and by the shutdown's deadline alarm.
    private let slotFreed: AsyncStream<Void>
    private let slotFreedContinuation: AsyncStream<Void>.Continuation

    struct State {
        var stopping = false
        var running = 0
        var processed = 0
    }

    public init(options: WorkerOptions, registry: TaskRegistry, brokerURL: RedisURL, logger: Logger,
                observers: [any TaskObserver] = []) {
        self.options = options
        self.registry = registry
        self.logger = logger
        let sources = KombuKeys.consumeOrder(queues: options.queues)
        self.broker = RedisBroker(url: brokerURL, workerID: options.workerID, sourceKeys: sources, lease: options.lease, logger: logger)
        self.cache = options.cacheURL.map { RedisClient(url: $0, name: "cache") }
        self.results = options.resultBackendURL.map { ResultBackend(url: $0, expires: options.resultExpires) }
        self.acks = AckBatcher(broker: broker)
        self.processor = MessageProcessor(
            options: options, registry: registry, broker: broker, acks: acks, onceLocks: cache.map(OnceLocks.init(cache:)),
            results: results, revoked: revoked, observers: observers, logger: logger)
        (slotFreed, slotFreedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the worker to stop taking work (SIGTERM/SIGINT). Running tasks get the grace period.
    public func requestStop() {
        state.withLock { $0.stopping = true }
        slotFreedContinuation.yield()
    }

    private var isStopping: Bool { state.withLock { $0.stopping } }

    /// Messages processed so far by this process.
    public var processedCount: Int { state.withLock { $0.processed } }

    /// Tasks whose handler is running now, oldest first, with the time each started (`inspect active`).
    public var activeTasks: [(task: ObservedTask, started: Date)] {
        processor.activeTasks
    }

    /// True once `requestStop()` was called (readiness probes).
    public var isShuttingDown: Bool { isStopping }

    /// Runs until `requestStop()` (or, with `exitWhenIdle`, until nothing is queued, delayed or in flight).
    public func run() async throws {
        var backoff = RedisBackoff()
        while true {
            do {
                try await broker.register(info: [
                    "host": ProcessInfo.processInfo.hostName,
                    "pid": String(ProcessInfo.processInfo.processIdentifier),
                    "queues": options.queues.joined(separator: ","),
                    "concurrency": String(options.concurrency),
                    "lease_ms": String(Int(options.lease.seconds * 1000)),
                    "version": options.version?.summary ?? "unknown",
                ])
                break
            } catch {
                if isStopping {
                    await closeConnections()
                    return
                }
                logger.warning("cannot register with the broker; retrying", metadata: [LogKey.error: "\(error)"])
                do { try await Task.sleep(for: backoff.next()) } catch { await closeConnections(); throw error }
            }
        }
        logger.info("worker started", metadata: [
            LogKey.worker: "\(options.workerID)", "queues": "\(options.queues.joined(separator: ","))",
            "concurrency": "\(options.concurrency)", "tasks": "\(registry.names.count)",
            "version": "\(options.version?.summary ?? "unknown")",
        ])
        let housekeeping = Task { await self.housekeepingLoop() }
        let scheduler = Task { await self.schedulerLoop() }
        await consumeLoop()
        await shutdown()
        housekeeping.cancel()
        scheduler.cancel()
        await closeConnections()
    }

    /// Closes every connection this worker opened: the broker's, AA's cache, the result backend.
    private func closeConnections() async {
        await broker.close()
        await cache?.close()
        await results?.close()
    }

    private func consumeLoop() async {
        var backoff = RedisBackoff()
        var queueBusy = false
        while !isStopping {
            var free = options.concurrency - state.withLock { $0.running }
            if free <= 0 {
                for await _ in slotFreed { break }
                continue
            }
            if queueBusy, free * 2 < options.concurrency {
                // The last reserve was full and tasks finish fast: let more slots free up (briefly) so one
                // reserve takes a bigger batch. For tiny tasks the per-reserve round trip dominates.
                try? await Task.sleep(for: .microseconds(500))
                free = options.concurrency - state.withLock { $0.running }
            }
            let deliveries: [Delivery]
            do {
                // With --exit-when-idle a short wait: the idle check below runs soon after the last task.
                deliveries = try await broker.reserve(max: free, wait: options.exitWhenIdle ? .milliseconds(100) : .seconds(1))
                queueBusy = deliveries.count == free
                backoff.reset()
            } catch {
                logger.warning("broker unavailable; retrying", metadata: [LogKey.error: "\(error)"])
                try? await Task.sleep(for: backoff.next())
                continue
            }
            if deliveries.isEmpty {
                if options.exitWhenIdle, state.withLock({ $0.running }) == 0, await isGloballyIdle() {
                    logger.info("nothing queued, delayed or in flight: exiting")
                    return
                }
                continue
            }
            state.withLock { $0.running += deliveries.count }
            for delivery in deliveries {
                Task {
                    await self.processor.process(delivery)
                    self.state.withLock { $0.running -= 1; $0.processed += 1 }
                    self.slotFreedContinuation.yield()
                }
            }
        }
    }

    private func shutdown() async {
        await waitForRunningTasks(until: ContinuousClock.now + options.shutdownGrace)
        let abandoned = state.withLock { $0.running }
        if abandoned > 0 {
            logger.warning("grace period over; returning unfinished messages to the queue", metadata: ["running": "\(abandoned)"])
        }
        try? await acks.flush()
        do {
            try await broker.unregister()
        } catch {
            logger.error("could not return held messages at shutdown; another worker will take them over after the lease",
                         metadata: [LogKey.error: "\(error)"])
        }
        logger.info("worker stopped", metadata: ["processed": "\(processedCount)"])
    }

    /// Returns once no task runs or at `deadline`, whichever comes first: every finishing task signals
    /// `slotFreed` (the consume loop has ended, so this is its only reader), and an alarm signals it at the deadline.
    private func waitForRunningTasks(until deadline: ContinuousClock.Instant) async {
        guard state.withLock({ $0.running }) > 0 else { return }
        let alarm = Task { [slotFreedContinuation] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            slotFreedContinuation.yield()
        }
        defer { alarm.cancel() }
        for await _ in slotFreed {
            if state.withLock({ $0.running }) == 0 || ContinuousClock.now >= deadline { return }
        }
    }

    /// Heartbeat (alive key and held locks), takeover of dead workers' messages and locks, and the
    /// expired-lock sweep: every third of a lease, at most 2 s apart so a dead worker's tasks come back
    /// soon after its lease ends.
    private func housekeepingLoop() async {
        let interval = min(options.lease / 3, .seconds(2))
        while !Task.isCancelled {
            do {
                try await broker.heartbeat()
                try await broker.recoverDeadWorkers()
                let woken = try await broker.sweepExpiredLocks()
                if woken > 0 { logger.warning("returned tasks that waited for an expired lock", metadata: ["messages": "\(woken)"]) }
            } catch {
                logger.warning("heartbeat failed", metadata: [LogKey.error: "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Moves due delayed messages (eta, countdown, retries) onto their lists.
    private func schedulerLoop() async {
        while !Task.isCancelled {
            var pause: Duration = .seconds(1)
            do {
                let (_, next) = try await broker.promoteDue()
                if let next {
                    let seconds = max(0.005, min(1, next.timeIntervalSinceNow))
                    pause = .milliseconds(Int(seconds * 1000))
                }
            } catch {
                logger.warning("could not promote delayed messages", metadata: [LogKey.error: "\(error)"])
            }
            try? await Task.sleep(for: pause)
        }
    }

    private func isGloballyIdle() async -> Bool {
        do {
            try await acks.flush()
            let inspector = broker.inspector
            let lengths = try await inspector.lengths(of: broker.sourceKeys)
            if lengths.contains(where: { $0 > 0 }) { return false }
            if try await inspector.delayedCount() > 0 { return false }
            if try await inspector.waitingForLocksCount() > 0 { return false }
            return try await inspector.workers().allSatisfy { $0.inFlight == 0 }
        } catch {
            return false
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
