public import Broker
import CeleryProtocol
public import Foundation
public import Logging
import PythonCompat
public import RedisClient
import Synchronization

/// The worker process: takes messages from the broker, runs their tasks with bounded concurrency,
/// and records exactly one outcome per message (done, retry scheduled, or dead-lettered).
public final class Worker: Sendable {
    public let options: WorkerOptions
    public let registry: TaskRegistry
    public let broker: RedisBroker
    private let cache: RedisClient?
    private let results: RedisClient?
    private let logger: Logger
    private let acks: AckBatcher
    private let state = Mutex(State())
    private let slotFreed: AsyncStream<Void>
    private let slotFreedContinuation: AsyncStream<Void>.Continuation
    private let observers: [any TaskObserver]

    struct State {
        var stopping = false
        var running = 0
        var processed = 0
        /// Tasks whose handler runs now, by delivery tag, with the time their handler started.
        var active: [String: (task: ObservedTask, started: Date)] = [:]
        /// Since when tasks find a service they need unavailable (`TaskOutcome.unavailable`); nil when fine.
        var unavailableSince: Date?
    }

    public init(options: WorkerOptions, registry: TaskRegistry, brokerURL: RedisURL, logger: Logger,
                observers: [any TaskObserver] = []) {
        self.options = options
        self.registry = registry
        self.logger = logger
        self.observers = observers
        let sources = KombuKeys.consumeOrder(queues: options.queues)
        self.broker = RedisBroker(url: brokerURL, workerID: options.workerID, sourceKeys: sources, lease: options.lease, logger: logger)
        self.cache = options.cacheURL.map { RedisClient(url: $0, name: "cache") }
        self.results = options.resultBackendURL.map { RedisClient(url: $0, name: "results") }
        self.acks = AckBatcher(broker: broker)
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
        state.withLock { Array($0.active.values) }.sorted { $0.started < $1.started }
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
                if isStopping { await closeConnections(); return }
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

    /// Closes the broker's, the cache's and the result backend's connections (on every way out of `run`).
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
                    await self.process(delivery)
                    self.state.withLock { $0.running -= 1; $0.processed += 1 }
                    self.slotFreedContinuation.yield()
                }
            }
        }
    }

    private func shutdown() async {
        let deadline = ContinuousClock.now + options.shutdownGrace
        while state.withLock({ $0.running }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
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
            let inspector = BrokerInspector(redis: broker.connection, keys: broker.keys)
            let lengths = try await inspector.lengths(of: broker.sourceKeys)
            if lengths.contains(where: { $0 > 0 }) { return false }
            if try await inspector.delayedCount() > 0 { return false }
            if try await inspector.waitingForLocksCount() > 0 { return false }
            return try await inspector.workers().allSatisfy { $0.inFlight == 0 }
        } catch {
            return false
        }
    }

    // MARK: - One message

    func process(_ delivery: Delivery) async {
        let now = Date()
        let (queue, _) = KombuKeys.parse(listKey: delivery.sourceKey)
        let message: TaskMessage
        do {
            message = try TaskMessage.decode(delivery.raw, poppedFrom: delivery.sourceKey, now: now)
        } catch {
            let letter = DeadLetter(id: UUID4.make(), task: "", reason: error.reason, queue: queue, key: delivery.sourceKey)
            logger.warning("undecodable message dead-lettered", metadata: [LogKey.reason: "\(error.reason)", LogKey.queue: "\(queue)"])
            await settle(delivery, .ack.deadLettering(letter))
            for observer in observers { observer.taskRejected(nil, reason: error.reason) }
            return
        }
        let observed = ObservedTask(
            id: message.id, name: message.task, args: message.args, kwargs: message.kwargs, retries: message.retries,
            queue: message.queue, sourceKey: delivery.sourceKey, eta: message.eta, expires: message.expires,
            rootID: message.rootID, parentID: message.parentID, received: now)
        for observer in observers { observer.taskReceived(observed) }
        var log = logger
        log[metadataKey: LogKey.taskID] = "\(message.id)"
        log[metadataKey: LogKey.task] = "\(message.task)"

        if message.isExpired(now: now) {
            log.info("task expired; not run", metadata: [LogKey.outcome: "expired"])
            await deadLetter(delivery, message, reason: "expired", logger: log)
            await storeResult(message, ResultMeta.revoked(taskID: message.id, reason: "expired", dateDone: now))
            for observer in observers { observer.taskRevoked(observed, reason: "expired", expired: true) }
            return
        }
        if let eta = message.eta, eta.timeIntervalSince(now) > 0.002 {
            let bytes = message.form == .protocol2 || message.form == .protocol1 ? delivery.raw : message.toEnvelope(origin: options.nodeName, now: now).bytes
            log.debug("task scheduled for its eta", metadata: ["eta": "\(ISODate.format(eta))"])
            await settle(delivery, .ack.delaying(bytes, to: delivery.sourceKey, until: eta))
            return
        }
        guard let definition = registry.definition(message.task) else {
            if case .forward(let target) = options.foreignTasks, !options.queues.contains(target), !options.ownsNamespace(of: message.task) {
                // Not ours (another service's task on a shared queue): to the queue its worker consumes,
                // bytes untouched, at the priority it had.
                log.info("task is not ours: forwarded", metadata: [LogKey.outcome: "forwarded", "to_queue": "\(target)"])
                await settle(delivery, .ack.publishing(delivery.raw, to: KombuKeys.listKey(queue: target, priority: message.priority)))
                return
            }
            log.warning("unknown task dead-lettered", metadata: [LogKey.outcome: "unknown task"])
            await deadLetter(delivery, message, reason: "unknown task '\(message.task)'", logger: log)
            await storeResult(message, ResultMeta.notRegistered(taskID: message.id, task: message.task, dateDone: now))
            for observer in observers { observer.taskRejected(observed, reason: "unknown task") }
            return
        }
        let arguments: [String: JSONValue]
        do {
            arguments = try bindArguments(parameters: definition.parameters, args: message.args, kwargs: message.kwargs,
                                          function: message.task.split(separator: ".").last.map(String.init))
        } catch {
            await finishWithFailure(delivery, message, definition, reason: "bad arguments: \(error.message)", logger: log)
            // Celery raises the TypeError inside the task: a failure (task-failed, signal task_failure).
            for observer in observers { observer.taskFinished(observed, outcome: .failed(reason: "bad arguments: \(error.message)"), runtime: .zero) }
            return
        }

        var userLock: RedisLock?
        if let parameter = definition.userParameter, let value = arguments[parameter] {
            if let pk = value.int64Value {
                log[metadataKey: LogKey.userPK] = "\(pk)"
                let lock = broker.locks.user(pk, token: delivery.tag)
                switch await lockOrPark(lock, delivery, message, now: now, logger: log) {
                case .acquired: userLock = lock
                case .parked, .leaseLost: return
                }
            }
        }

        let started = ContinuousClock.now
        state.withLock { $0.active[delivery.tag] = (observed, Date()) }
        for observer in observers { observer.taskStarted(observed) }
        let invocation = TaskInvocation(id: message.id, name: message.task, arguments: arguments, retries: message.retries,
                                        logger: log, progress: BulkProgressReporter(redis: broker.connection, keys: broker.keys))
        let outcome: TaskOutcome
        do {
            outcome = try await definition.handler(invocation)
        } catch {
            outcome = .failure(reason: "error: \(error)")
        }
        if let userLock { await release(userLock, logger: log) }
        let elapsed = ContinuousClock.now - started
        state.withLock { _ = $0.active.removeValue(forKey: delivery.tag) }
        let observedOutcome: ObservedOutcome
        switch outcome {
        case .success(let value): observedOutcome = .succeeded(result: value)
        case .failure(let reason): observedOutcome = .failed(reason: reason)
        case .unavailable(let reason): observedOutcome = .postponed(reason: reason)
        case .retry(_, let reason, let counts):
            observedOutcome = !counts ? .postponed(reason: reason)
                : message.retries >= options.maxRetries ? .failed(reason: "gave up after \(message.retries) retries: \(reason)")
                : .retried(reason: reason)
        }
        for observer in observers { observer.taskFinished(observed, outcome: observedOutcome, runtime: elapsed) }
        let ms = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        log[metadataKey: LogKey.durationMS] = "\(ms)"

        if case .success = outcome { await serviceAvailableAgain() }
        switch outcome {
        case .unavailable(let reason):
            let pause = unavailablePause()
            log.error("task cannot run: a service it needs is unavailable; trying again later (not counted as a retry)",
                      metadata: [LogKey.outcome: "unavailable", LogKey.reason: "\(reason)", "retry_in_s": "\(Int(pause))"])
            do { try await broker.reportProblem(reason) } catch {}
            let bytes = message.form == .protocol2 || message.form == .protocol1 ? delivery.raw : message.toEnvelope(origin: options.nodeName, now: now).bytes
            await settle(delivery, .ack.delaying(bytes, to: delivery.sourceKey, until: Date().addingTimeInterval(pause)))
        case .success(let value):
            await finishWithSuccess(delivery, message, definition, result: value, logger: log)
        case .failure(let reason):
            await finishWithFailure(delivery, message, definition, reason: reason, logger: log)
        case .retry(let after, let reason, let counts):
            if !counts {
                log.info("task waits for a rate limit", metadata: [LogKey.outcome: "backoff", LogKey.reason: "\(reason)"])
                let bytes = message.form == .protocol2 || message.form == .protocol1 ? delivery.raw : message.toEnvelope(origin: options.nodeName, now: now).bytes
                await settle(delivery, .ack.delaying(bytes, to: delivery.sourceKey, until: Date().addingTimeInterval(after.seconds)))
            } else if message.retries >= options.maxRetries {
                await finishExhausted(delivery, message, definition, reason: reason, logger: log)
            } else {
                let pause = after > .zero ? after : options.retryPause
                let eta = Date().addingTimeInterval(pause.seconds)
                let retry = message.retryMessage(eta: eta, origin: options.nodeName)
                log.info("task will be retried", metadata: [LogKey.outcome: "retry", LogKey.reason: "\(reason)",
                                                            LogKey.retries: "\(message.retries + 1)"])
                await storeResult(message, ResultMeta.retry(taskID: message.id, excType: "Retry", excMessage: [.string(reason)],
                                                            excModule: "celery.exceptions", traceback: nil))
                await settle(delivery, .ack.delaying(retry.bytes, to: retry.listKey, until: eta))
            }
        }
    }

    /// The pause before a task that found a service unavailable runs again: as long as the outage has
    /// lasted so far (at least 5 s, at most 5 min), so a persistent error backs off whatever the concurrency.
    private func unavailablePause() -> TimeInterval {
        let since = state.withLock { state -> Date in
            if state.unavailableSince == nil { state.unavailableSince = Date() }
            return state.unavailableSince!
        }
        return min(300, max(5, Date().timeIntervalSince(since)))
    }

    /// A task succeeded: the outage (if any) is over; `status` stops reporting it.
    private func serviceAvailableAgain() async {
        let wasDown = state.withLock { state -> Bool in
            defer { state.unavailableSince = nil }
            return state.unavailableSince != nil
        }
        if wasDown {
            logger.notice("tasks reach their services again")
            do { try await broker.reportProblem(nil) } catch {}
        }
    }

    /// The per-user lock, or the message parks in the lock's durable waiting list (no polling): the
    /// release, the recovery of a dead holder or the expiry sweep puts it back at the front of its queue.
    private func lockOrPark(_ lock: RedisLock, _ delivery: Delivery, _ message: TaskMessage, now: Date,
                            logger: Logger) async -> RedisBroker.LockAttempt {
        do {
            let attempt = try await broker.lockOrPark(lock, for: delivery)
            if attempt == .parked { logger.debug("task waits for the user's lock", metadata: [LogKey.outcome: "waiting"]) }
            return attempt
        } catch {
            // Redis unavailable: the message goes back through the delayed set once Redis answers again.
            logger.warning("could not take the user's lock; trying again shortly", metadata: [LogKey.error: "\(error)"])
            let bytes = message.form == .protocol2 || message.form == .protocol1 ? delivery.raw : message.toEnvelope(origin: options.nodeName, now: now).bytes
            await settle(delivery, .ack.delaying(bytes, to: delivery.sourceKey, until: Date().addingTimeInterval(1)))
            return .leaseLost
        }
    }

    /// Releases a user lock (waking the messages parked behind it), retrying while Redis is unavailable:
    /// the heartbeat renews every lock this worker holds, so a lost release would keep it held.
    private func release(_ lock: RedisLock, logger: Logger) async {
        var backoff = RedisBackoff()
        for attempt in 1...50 {
            do {
                try await lock.release()
                return
            } catch {
                logger.warning("could not release the user's lock; retrying", metadata: [LogKey.error: "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    private func finishWithSuccess(_ delivery: Delivery, _ message: TaskMessage, _ definition: TaskDefinition, result: JSONValue, logger: Logger) async {
        var settlement = Settlement.ack
        var published = 0
        for callback in message.callbackMessages(result: result, origin: options.nodeName, defaultPriority: options.defaultPriority, route: options.route) {
            settlement = settlement.publishing(callback.bytes, to: callback.listKey)
            published += 1
        }
        if let next = message.chainContinuation(result: result, origin: options.nodeName, defaultPriority: options.defaultPriority, route: options.route) {
            await takeOnceLock(for: next)
            settlement = settlement.publishing(next.bytes, to: next.listKey)
            published += 1
        }
        // Like Celery with acks_late: the result and the once-lock first, the ack last. A crash in between
        // runs the task again (at least once) instead of leaving a done task without its result.
        await storeResult(message, ResultMeta.success(taskID: message.id, result: result, dateDone: Date(), parentID: message.parentID))
        await releaseOnceLock(message, definition)
        if published == 0 {
            do { try await acks.ack(delivery) } catch { logger.warning("ack failed; the message may run again", metadata: [LogKey.error: "\(error)"]) }
        } else {
            await settle(delivery, settlement)
        }
        logger.info("task succeeded", metadata: [LogKey.outcome: "success"])
    }

    private func finishWithFailure(_ delivery: Delivery, _ message: TaskMessage, _ definition: TaskDefinition, reason: String, logger: Logger) async {
        var settlement = Settlement.ack.deadLettering(letter(for: delivery, message, reason: reason))
        for errback in message.errbackMessages(origin: options.nodeName, defaultPriority: options.defaultPriority, route: options.route) {
            settlement = settlement.publishing(errback.bytes, to: errback.listKey)
        }
        await storeResult(message, ResultMeta.failure(taskID: message.id, excType: "TaskFailure", excMessage: [.string(reason)],
                                                      excModule: "discord_worker", traceback: nil, dateDone: Date(), parentID: message.parentID))
        await releaseOnceLock(message, definition)
        await settle(delivery, settlement)
        logger.warning("task failed; dead-lettered", metadata: [LogKey.outcome: "failure", LogKey.reason: "\(reason)"])
    }

    /// Retries used up: dead-lettered (nothing is lost), and, like AA (whose task then ends normally), a chain goes on.
    private func finishExhausted(_ delivery: Delivery, _ message: TaskMessage, _ definition: TaskDefinition, reason: String, logger: Logger) async {
        let why = "gave up after \(message.retries) retries: \(reason)"
        var settlement = Settlement.ack.deadLettering(letter(for: delivery, message, reason: why))
        if let next = message.chainContinuation(result: .null, origin: options.nodeName, defaultPriority: options.defaultPriority, route: options.route) {
            await takeOnceLock(for: next)
            settlement = settlement.publishing(next.bytes, to: next.listKey)
        }
        await storeResult(message, ResultMeta.failure(taskID: message.id, excType: "MaxRetriesExceededError", excMessage: [.string(why)],
                                                      excModule: "celery.exceptions", traceback: nil, dateDone: Date(), parentID: message.parentID))
        await releaseOnceLock(message, definition)
        await settle(delivery, settlement)
        logger.error("task gave up; dead-lettered", metadata: [LogKey.outcome: "exhausted", LogKey.reason: "\(reason)"])
    }

    private func deadLetter(_ delivery: Delivery, _ message: TaskMessage, reason: String, logger: Logger) async {
        await settle(delivery, .ack.deadLettering(letter(for: delivery, message, reason: reason)))
        if let definition = registry.definition(message.task) { await releaseOnceLock(message, definition) }
    }

    private func letter(for delivery: Delivery, _ message: TaskMessage, reason: String) -> DeadLetter {
        DeadLetter(id: message.id, task: message.task, reason: reason, queue: message.queue, key: delivery.sourceKey)
    }

    private func settle(_ delivery: Delivery, _ settlement: Settlement) async {
        var backoff = RedisBackoff()
        for attempt in 1...50 {
            do {
                try await broker.settle(delivery, settlement)
                return
            } catch {
                // The lease stays in Redis: if this never succeeds the message is redelivered, not lost.
                logger.warning("could not record the outcome; retrying", metadata: [LogKey.error: "\(error)", "attempt": "\(attempt)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    // MARK: - celery_once and results

    /// AA's celery_once lock for the call: deleted at the final outcome, or AA refuses the same call for an hour.
    private func releaseOnceLock(_ message: TaskMessage, _ definition: TaskDefinition) async {
        guard definition.usesOnceLock, let cache else { return }
        let key = OnceLock.key(task: message.task, parameters: definition.parameters.map(\.name), args: message.args, kwargs: message.kwargs)
        do { try await cache.command(["DEL", RedisArgument(key)]) } catch {
            logger.warning("could not delete the celery_once lock", metadata: [LogKey.error: "\(error)", "lock": "\(key)"])
        }
    }

    /// Before publishing a chain step, take its celery_once lock as AA's worker does (`SET NX PX`).
    /// Unlike AA, the step is published even if the lock is held: an update is never dropped.
    private func takeOnceLock(for next: OutgoingMessage) async {
        guard let cache, let definition = registry.definition(next.task), definition.usesOnceLock,
              let decoded = try? TaskMessage.decode(next.bytes, poppedFrom: next.listKey) else { return }
        let key = OnceLock.key(task: next.task, parameters: definition.parameters.map(\.name), args: decoded.args, kwargs: decoded.kwargs)
        _ = try? await cache.command(["SET", RedisArgument(key), RedisArgument(bytes: OnceLock.value), "NX", "PX", RedisArgument(OnceLock.timeoutMilliseconds)])
    }

    /// Stores and publishes result meta the Celery way, when a backend is configured and the message wants a result.
    private func storeResult(_ message: TaskMessage, _ meta: [UInt8]) async {
        guard let results, message.ignoreResult != true else { return }
        let key = ResultMeta.key(taskID: message.id)
        do {
            if let existing = try await results.command(["GET", RedisArgument(key)]).bytes,
               let status = (try? JSONValue.parse(existing))?["status"]?.stringValue, status == "SUCCESS" {
                return  // Celery never overwrites a stored SUCCESS
            }
            _ = try await results.pipeline([
                ["MULTI"],
                ["SETEX", RedisArgument(key), RedisArgument(options.resultExpires), RedisArgument(bytes: meta)],
                ["PUBLISH", RedisArgument(key), RedisArgument(bytes: meta)],
                ["EXEC"],
            ])
        } catch {
            logger.warning("could not store the task result", metadata: [LogKey.error: "\(error)"])
        }
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
