import Foundation
public import Logging
import PythonCompat
public import RedisClient
import Synchronization
public import WorkerRuntime

/// Makes the worker a Celery node on the Redis broker: answers remote control on the `celery.pidbox`
/// fanout channel (its own connection, blocking on its own queue), sends `worker-online/heartbeat/offline`
/// events every 2 s like a Celery worker, and task events when enabled (`DISCORD_WORKER_SEND_EVENTS` or
/// `enable_events`). Observer calls only record state and queue messages; a publisher task sends them.
public final class CeleryControlService: TaskObserver, Sendable {
    public struct Options: Sendable {
        public var nodeName: String
        public var brokerURL: RedisURL
        public var queues: [String]
        public var concurrency: Int
        public var sendTaskEvents: Bool
        public var softwareVersion: String
        /// Celery's `control_exchange` setting (default `celery`, which AA keeps): the mailbox `<namespace>.pidbox`.
        public var namespace = "celery"

        public init(nodeName: String, brokerURL: RedisURL, queues: [String], concurrency: Int, sendTaskEvents: Bool,
                    softwareVersion: String) {
            self.nodeName = nodeName
            self.brokerURL = brokerURL
            self.queues = queues
            self.concurrency = concurrency
            self.sendTaskEvents = sendTaskEvents
            self.softwareVersion = softwareVersion
        }
    }

    enum Outgoing: Sendable {
        case publish(channel: String, bytes: [UInt8])
        case reply(exchange: String, routingKey: String, bytes: [UInt8])
    }

    struct State {
        var taskEvents: Bool
        var clock: Int64 = 0
        var stopping = false
        /// Received and not yet started, by task id.
        var received: [String: ObservedTask] = [:]
        var totals: [String: Int] = [:]
        var accepted = 0
        var worker: Worker?
        var loops: [Task<Void, Never>] = []
        var publisher: Task<Void, Never>?
        /// The last event/reply could not be sent (logged once until one goes through again).
        var publishFailing = false
    }

    /// `sw_ver` of events and the `report` reply.
    public static let softwareVersion = "1.0.0"

    public let options: Options
    private let logger: Logger
    private let events: CeleryEvents
    private let publisher: RedisClient
    private let subscriber: RedisClient
    private let state: Mutex<State>
    private let outbox: AsyncStream<Outgoing>
    private let outboxContinuation: AsyncStream<Outgoing>.Continuation
    private let startedAt = Date()
    private let pid = ProcessInfo.processInfo.processIdentifier

    public init(options: Options, logger: Logger) {
        self.options = options
        var log = logger
        log[metadataKey: LogKey.worker] = "\(options.nodeName)"
        self.logger = log
        self.events = CeleryEvents(hostname: options.nodeName, pid: ProcessInfo.processInfo.processIdentifier,
                                   softwareVersion: options.softwareVersion)
        self.publisher = RedisClient(url: options.brokerURL, name: "celery-events")
        self.subscriber = RedisClient(url: options.brokerURL, name: "celery-pidbox", socketTimeout: .seconds(10))
        self.state = Mutex(State(taskEvents: options.sendTaskEvents))
        (outbox, outboxContinuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// The pidbox channel this node listens on.
    public var pidboxChannel: String {
        KombuFanout.channel(exchange: "\(options.namespace).pidbox", database: options.brokerURL.database)
    }

    public var taskEventsEnabled: Bool { state.withLock { $0.taskEvents } }

    /// Starts listening and heartbeating for `worker`; sends `worker-online`.
    public func start(worker: Worker) {
        let publisherTask = Task { [outbox] in
            for await item in outbox { await self.send(item) }
        }
        state.withLock { $0.worker = worker; $0.publisher = publisherTask }
        sendEvent("worker-online", workerFields())
        let listen = Task { await self.listenLoop() }
        let heartbeat = Task { await self.heartbeatLoop() }
        state.withLock { $0.loops = [listen, heartbeat] }
        logger.info("celery remote control listening", metadata: ["channel": "\(pidboxChannel)",
                                                                   "task_events": "\(taskEventsEnabled)"])
    }

    /// Sends `worker-offline`, delivers what is queued (for at most `timeout`) and closes the connections.
    public func stop(timeout: Duration = .seconds(3)) async {
        sendEvent("worker-offline", workerFields())
        let (loops, publisherTask) = state.withLock { state in
            state.stopping = true
            return (state.loops, state.publisher)
        }
        outboxContinuation.finish()
        for loop in loops { loop.cancel() }
        for loop in loops { await loop.value }
        if let publisherTask {
            let drained = Task { await publisherTask.value; return true }
            let timer = Task { try? await Task.sleep(for: timeout); publisherTask.cancel() }
            _ = await drained.value
            timer.cancel()
        }
        await subscriber.close()
        await publisher.close()
    }

    // MARK: - Task observer

    public func taskReceived(_ task: ObservedTask) {
        // Celery sends no task-received for a task it does not know (only a task-failed, see taskRejected).
        guard state.withLock({ $0.worker })?.registry.definition(task.name) != nil else { return }
        // A task with an eta comes back when due: one task-received, as Celery sends.
        let isNew = state.withLock { state in
            let isNew = state.received[task.id] == nil
            if state.received.count < 100_000 { state.received[task.id] = task }
            return isNew
        }
        if isNew { sendTaskEvent("task-received", CeleryEvents.received(task)) }
    }

    public func taskStarted(_ task: ObservedTask) {
        state.withLock { state in
            state.received.removeValue(forKey: task.id)
            state.totals[task.name, default: 0] += 1
            state.accepted += 1
        }
        sendTaskEvent("task-started", CeleryEvents.started(task))
    }

    public func taskFinished(_ task: ObservedTask, outcome: ObservedOutcome, runtime: Duration) {
        state.withLock { _ = $0.received.removeValue(forKey: task.id) }
        switch outcome {
        case .succeeded(let result): sendTaskEvent("task-succeeded", CeleryEvents.succeeded(task, result: result, runtime: runtime))
        case .failed(let reason): sendTaskEvent("task-failed", CeleryEvents.failed(task, reason: reason))
        case .retried(let reason), .postponed(let reason): sendTaskEvent("task-retried", CeleryEvents.retried(task, reason: reason))
        }
    }

    public func taskRejected(_ task: ObservedTask?, reason: String) {
        guard let task else { return }  // undecodable: no id to report
        state.withLock { _ = $0.received.removeValue(forKey: task.id) }
        // Celery's Consumer.on_unknown_task: a task-failed with NotRegistered('<name>').
        sendTaskEvent("task-failed", CeleryEvents.notRegistered(task))
    }

    public func taskRevoked(_ task: ObservedTask, reason: String, expired: Bool) {
        state.withLock { _ = $0.received.removeValue(forKey: task.id) }
        sendTaskEvent("task-revoked", CeleryEvents.revoked(task, expired: expired))
    }

    // MARK: - Events

    private func forwardClock() -> Int64 { state.withLock { $0.clock += 1; return $0.clock } }

    private func sendTaskEvent(_ type: String, _ fields: JSONObject) {
        guard taskEventsEnabled else { return }
        sendEvent(type, fields)
    }

    private func sendEvent(_ type: String, _ fields: JSONObject) {
        let event = events.event(type, fields, clock: forwardClock(), now: Date())
        let routingKey = CeleryEvents.routingKey(type)
        let bytes = KombuFanout.envelope(
            body: .object(event), headers: ["hostname": .string(options.nodeName)], exchange: CeleryEvents.exchange,
            routingKey: routingKey, deliveryMode: 1)
        let channel = KombuFanout.channel(exchange: CeleryEvents.exchange, routingKey: routingKey, database: options.brokerURL.database)
        outboxContinuation.yield(.publish(channel: channel, bytes: bytes))
    }

    private func workerFields() -> JSONObject {
        let (active, processed) = state.withLock { ($0.worker?.activeTasks.count ?? 0, $0.accepted) }
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) != 3 { load = [0, 0, 0] }
        return events.workerFields(active: active, processed: processed, loadavg: load)
    }

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(CeleryEvents.heartbeatInterval))
            if Task.isCancelled { return }
            sendEvent("worker-heartbeat", workerFields())
            forgetStaleReceived(now: Date())
        }
    }

    private func send(_ item: Outgoing) async {
        do {
            switch item {
            case .publish(let channel, let bytes):
                try await publisher.command(["PUBLISH", RedisArgument(channel), RedisArgument(bytes: bytes)])
            case .reply(let exchange, let routingKey, let bytes):
                // kombu's direct exchange: the queues bound with this routing key (`_kombu.binding.<exchange>`).
                let members = try await publisher.command(["SMEMBERS", RedisArgument(KombuFanout.bindingKey(exchange: exchange))])
                let queues = KombuFanout.directQueues(bindings: (members.array ?? []).compactMap(\.string), routingKey: routingKey)
                if queues.isEmpty {
                    logger.debug("remote-control reply dropped: the caller's reply queue is gone", metadata: ["routing_key": "\(routingKey)"])
                }
                for queue in queues {
                    try await publisher.command(["LPUSH", RedisArgument(queue), RedisArgument(bytes: bytes)])
                }
            }
            if state.withLock({ state in defer { state.publishFailing = false }; return state.publishFailing }) {
                logger.info("celery events and replies are sent again")
            }
        } catch {
            if !state.withLock({ state in defer { state.publishFailing = true }; return state.publishFailing }) {
                logger.warning("celery events/replies not sent (dropped until the broker is back)", metadata: [LogKey.error: "\(error)"])
            }
        }
    }

    // MARK: - Remote control

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func listenLoop() async {
        var backoff = RedisBackoff()
        let channel = pidboxChannel
        while !Task.isCancelled, !isStopping {
            do {
                try await subscriber.subscribe([channel])
                backoff.reset()
                while !Task.isCancelled, !isStopping {
                    guard let pushed = try await subscriber.nextPushed(timeout: .seconds(1)) else { continue }
                    guard let parts = pushed.array, parts.count == 3, parts[0].string == "message", let data = parts[2].bytes else { continue }
                    handle(data)
                }
            } catch {
                if isStopping { break }
                logger.warning("celery remote control: broker connection lost; resubscribing", metadata: [LogKey.error: "\(error)"])
                await subscriber.disconnect()
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Handles one pidbox message (kombu `Node.handle_message` + `dispatch`).
    func handle(_ payload: [UInt8]) {
        let request: PidboxRequest
        switch PidboxRequest.decode(payload) {
        case .success(let value): request = value
        case .failure(let error):
            logger.warning("celery remote control: message ignored", metadata: [LogKey.reason: "\(error)"])
            return
        }
        state.withLock { $0.clock = max($0.clock, request.clock) + 1 }
        guard request.isAddressed(to: options.nodeName) else { return }
        let (reply, effect) = ControlPanel.handle(request, snapshot: snapshot())
        logger.debug("celery remote control command", metadata: ["method": "\(request.method)"])
        switch effect {
        case .none: break
        case .shutdown:
            logger.warning("Got shutdown from remote: finishing running tasks, taking no new ones")
            state.withLock { $0.worker }?.requestStop()
        case .enableEvents:
            state.withLock { $0.taskEvents = true }
            logger.info("celery task events enabled by remote control")
        case .disableEvents:
            state.withLock { $0.taskEvents = false }
            logger.info("celery task events disabled by remote control")
        case .heartbeat:
            sendEvent("worker-heartbeat", workerFields())
        case .revoke(let ids):
            state.withLock { $0.worker }?.revoked.revoke(ids)
            logger.info("Tasks flagged as revoked", metadata: ["task_ids": "\(ids.joined(separator: ", "))"])
        }
        if ControlPanel.refused[request.method] != nil {
            logger.warning("celery remote control: command not supported", metadata: ["method": "\(request.method)"])
        }
        guard let reply, request.wantsReply, let exchange = request.replyExchange, let routingKey = request.replyRoutingKey else { return }
        var headers: JSONObject = ["ticket": request.ticket.map(JSONValue.string) ?? .null]
        headers["clock"] = .int(forwardClock())
        let bytes = KombuFanout.envelope(
            body: [options.nodeName: reply], headers: headers, exchange: exchange, routingKey: routingKey, deliveryMode: 1)
        outboxContinuation.yield(.reply(exchange: exchange, routingKey: routingKey, bytes: bytes))
    }

    /// Forgets received tasks another worker must have taken over: due more than a minute ago (an eta task
    /// goes back to the shared delayed set), or received a minute ago and never started.
    private func forgetStaleReceived(now: Date) {
        state.withLock { state in
            state.received = state.received.filter { _, task in
                if let eta = task.eta { return eta.timeIntervalSince(now) > -60 }
                return now.timeIntervalSince(task.received) < 60
            }
        }
    }

    func snapshot(now: Date = Date()) -> WorkerSnapshot {
        forgetStaleReceived(now: now)
        let (worker, received, totals, clock, taskEvents) = state.withLock { state in
            (state.worker, Array(state.received.values), state.totals, state.clock, state.taskEvents)
        }
        let ordered = received.sorted { $0.received < $1.received }
        var host = "", port: Int?
        switch options.brokerURL.endpoint {
        case .tcp(let h, let p): host = h; port = p
        case .unix(let path): host = path
        }
        return WorkerSnapshot(
            nodeName: options.nodeName, pid: pid, clock: clock, startedAt: startedAt, now: now,
            concurrency: options.concurrency, queues: options.queues, registered: worker?.registry.names ?? [],
            active: worker?.activeTasks ?? [],
            reserved: ordered.filter { ($0.eta ?? .distantPast) <= now },
            scheduled: ordered.filter { ($0.eta ?? .distantPast) > now },
            totals: totals, brokerHost: host, brokerPort: port, brokerDatabase: options.brokerURL.database,
            eventsEnabled: taskEvents, softwareVersion: options.softwareVersion, rusage: ProcessFacts.rusage(),
            platform: ProcessFacts.platform(), revoked: worker?.revoked.ids(now: now) ?? [])
    }
}
