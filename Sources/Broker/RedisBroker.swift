public import Foundation
import CeleryProtocol
public import Logging
public import RedisClient
import Synchronization

/// The reliable Celery-compatible broker on Redis, for one worker process.
///
/// Messages stay in Redis until their outcome is recorded: popped atomically into this worker's
/// in-flight hash (`reserve`), removed only together with the outcome (`settle`). A heartbeat key
/// with a TTL of one lease marks the worker alive; any live worker returns a dead worker's messages
/// to their lists (`recoverDeadWorkers`). Delayed work (eta, countdown, retries) waits in a sorted
/// set, not in memory. While idle the worker blocks on `BLMOVE` per source list into its own
/// landing lists: no polling, and no window in which a popped message exists only in a socket.
public final class RedisBroker: Sendable {
    public let workerID: String
    public let keys: BrokerKeys
    /// The list keys consumed, in priority order (see `KombuKeys.consumeOrder`).
    public let sourceKeys: [String]
    public let lease: Duration
    private let redis: RedisClient
    private let blockers: [RedisClient]
    private let gate = IdleGate()
    private let sequence = Mutex<Int>(0)
    private let blockerTasks = Mutex<[Task<Void, Never>]>([])
    /// Redis client ids of the blocking connections, so shutdown can `CLIENT UNBLOCK` them.
    private let blockerClientIDs = Mutex<[Int: Int64]>([:])
    private let logger: Logger
    /// How long one blocking pop waits before re-checking (shutdown, connection health).
    private let blockTimeout: Int = 1

    public init(url: RedisURL, workerID: String, sourceKeys: [String], lease: Duration = .seconds(30),
                keys: BrokerKeys = BrokerKeys(), logger: Logger = Logger(label: "discord-worker.broker")) {
        self.workerID = workerID
        self.keys = keys
        self.sourceKeys = sourceKeys
        self.lease = lease
        self.logger = logger
        self.redis = RedisClient(url: url, name: "broker")
        self.blockers = sourceKeys.indices.map { i in
            RedisClient(url: url, name: "blocker-\(i)", socketTimeout: .seconds(5))
        }
    }

    /// Read-only views of the broker state (`status`, the idle check of `--exit-when-idle`), on this
    /// broker's connection for short commands.
    public var inspector: BrokerInspector { BrokerInspector(redis: redis, keys: keys) }

    /// Writes the progress of bulk tasks (for `status`), on this broker's connection for short commands.
    public var progressReporter: BulkProgressReporter { BulkProgressReporter(redis: redis, keys: keys) }

    private var leaseMilliseconds: Int { Int(lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000) }

    // MARK: - Registration and liveness

    /// Registers this worker (visible in `status`) and starts its heartbeat key and blockers.
    public func register(info: [String: String]) async throws(RedisError) {
        var object: [String: String] = info
        object["id"] = workerID
        object["registered_at"] = isoTimestamp(Date())
        let payload = Self.registrationJSON(object, keys: sourceKeys)
        _ = try await redis.pipeline([
            ["SET", RedisArgument(keys.alive(workerID)), "1", "PX", RedisArgument(leaseMilliseconds)],
            ["HSET", RedisArgument(keys.workers), RedisArgument(workerID), RedisArgument(payload)],
        ])
        startBlockers()
    }

    /// Renews the alive key; re-registers if another worker had declared this one dead.
    public func heartbeat() async throws(RedisError) {
        // The alive key and every lock this worker holds: renewed together, so they expire together.
        _ = try await redis.eval(LockScripts.heartbeat, keys: [RedisArgument(keys.alive(workerID)), RedisArgument(keys.heldLocks(workerID))],
                                 args: [RedisArgument(leaseMilliseconds), RedisArgument(workerID + "#")])
        let registered = try await redis.command(["HEXISTS", RedisArgument(keys.workers), RedisArgument(workerID)])
        if registered == .integer(0) {
            logger.warning("worker registration was lost (declared dead after a long pause?); registering again")
            let payload = Self.registrationJSON(["id": workerID], keys: sourceKeys)
            try await redis.command(["HSET", RedisArgument(keys.workers), RedisArgument(workerID), RedisArgument(payload)])
        }
    }

    /// Returns the messages of every registered worker whose alive key has expired. Returns how many
    /// messages were put back.
    @discardableResult
    public func recoverDeadWorkers() async throws(RedisError) -> Int {
        let ids = try await redis.command(["HKEYS", RedisArgument(keys.workers)]).array?.compactMap(\.string) ?? []
        var total = 0
        for id in ids where id != workerID {
            let moved = try await recover(worker: id)
            if moved > 0 {
                logger.warning("took over messages of a dead worker", metadata: ["dead_worker": "\(id)", "messages": "\(moved)"])
            }
            total += max(moved, 0)
        }
        return total
    }

    private func recover(worker id: String) async throws(RedisError) -> Int {
        let reply = try await redis.eval(BrokerScripts.recover,
            keys: [RedisArgument(keys.alive(id)), RedisArgument(keys.inflight(id)), RedisArgument(keys.workers),
                   RedisArgument(keys.heldLocks(id)), RedisArgument(keys.lockWaitingIndex)],
            args: [RedisArgument(id), RedisArgument(keys.landingPrefix(id)), RedisArgument(id + "#")])
        return Int(reply.int ?? 0)
    }

    /// Records (or with nil clears) a persistent problem of this worker's tasks for `status`, e.g. a
    /// Redis its tasks cannot reach. Kept 10 minutes unless renewed.
    public func reportProblem(_ problem: String?) async throws(RedisError) {
        guard let problem else {
            try await redis.command(["DEL", RedisArgument(keys.problem(workerID))])
            return
        }
        let json = Self.registrationJSON(["error": problem, "at": isoTimestamp(Date())], keys: [])
        try await redis.command(["SET", RedisArgument(keys.problem(workerID)), RedisArgument(json), "PX", 600_000])
    }

    // MARK: - Locks

    /// This worker's locks (per user, named), bound to its lease.
    public var locks: RedisLocks { RedisLocks(redis: redis, keys: keys, holder: workerID, lease: lease) }

    /// What `lockOrPark` did.
    public enum LockAttempt: Sendable, Equatable {
        /// The lock is taken: run the task, then `RedisLock.release()`.
        case acquired
        /// Another holder has it: the message moved from this worker's in-flight hash to the lock's
        /// waiting list, and goes back to its queue when the lock is free. The delivery is settled.
        case parked
        /// The lease was gone (taken over): the message is back in its queue; do nothing.
        case leaseLost
    }

    /// Takes `lock` for `delivery`, or parks the delivery's message until the lock is free: one atomic
    /// step, so a release can never slip between the attempt and the parking.
    public func lockOrPark(_ lock: RedisLock, for delivery: Delivery) async throws(RedisError) -> LockAttempt {
        let reply = try await redis.eval(LockScripts.lockOrPark, keys: [
            RedisArgument(lock.key), RedisArgument(lock.heldSet), RedisArgument(keys.inflight(workerID)), RedisArgument(keys.lockWaitingIndex),
        ], args: [RedisArgument(lock.token), RedisArgument(lock.ttlMilliseconds), RedisArgument(delivery.tag)])
        switch reply.int {
        case 1: return .acquired
        case 0: return .parked
        default: return .leaseLost
        }
    }

    /// Returns the messages waiting for locks that expired without a release (safety net; releases and
    /// recovery wake waiters themselves). Returns how many went back.
    @discardableResult
    public func sweepExpiredLocks() async throws(RedisError) -> Int {
        Int(try await redis.eval(LockScripts.sweep, keys: [RedisArgument(keys.lockWaitingIndex)]).int ?? 0)
    }

    /// Clean shutdown: stop the blockers, then return whatever is still held (landing lists, in-flight
    /// messages not settled) to the queues and unregister.
    public func unregister() async throws(RedisError) {
        await stopBlockers()
        try await redis.command(["DEL", RedisArgument(keys.alive(workerID))])
        let moved = try await recover(worker: workerID)
        if moved > 0 { logger.info("returned messages to the queue", metadata: ["messages": "\(moved)"]) }
    }

    /// Closes all connections.
    public func close() async {
        await stopBlockers()
        await redis.close()
        for blocker in blockers { await blocker.close() }
    }

    // MARK: - Taking work

    /// Takes up to `max` messages: first what this worker's blockers landed, then the source lists in
    /// priority order. When nothing is there, blocks (BLMOVE) up to `wait` for something to arrive.
    public func reserve(max: Int, wait: Duration) async throws(RedisError) -> [Delivery] {
        guard max > 0 else { return [] }
        let first = try await reserveNow(max: max)
        if !first.isEmpty {
            await gate.notWanted()
            return first
        }
        await gate.waitForLanding(timeout: wait)
        return try await reserveNow(max: max)
    }

    private func reserveNow(max: Int) async throws(RedisError) -> [Delivery] {
        let start = sequence.withLock { $0 }
        var scriptKeys: [RedisArgument] = [RedisArgument(keys.inflight(workerID))]
        scriptKeys += sourceKeys.map { RedisArgument(keys.landing(workerID, source: $0)) }
        scriptKeys += sourceKeys.map { RedisArgument($0) }
        let reply = try await redis.eval(BrokerScripts.reserve, keys: scriptKeys,
            args: [RedisArgument(max), RedisArgument("\(workerID)#"), RedisArgument(sourceKeys.count), RedisArgument(start)])
        let flat = reply.array ?? []
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(flat.count / 3)
        var i = 0
        while i + 2 < flat.count {
            deliveries.append(Delivery(tag: flat[i].string ?? "", sourceKey: flat[i + 1].string ?? "", raw: flat[i + 2].bytes ?? []))
            i += 3
        }
        sequence.withLock { $0 = Swift.max($0, start + deliveries.count) }
        return deliveries
    }

    private func startBlockers() {
        blockerTasks.withLock { tasks in
            guard tasks.isEmpty else { return }
            for (index, source) in sourceKeys.enumerated() {
                let client = blockers[index]
                let landing = keys.landing(workerID, source: source)
                let gate = self.gate
                let logger = self.logger
                let timeout = blockTimeout
                tasks.append(Task {
                    var backoff = RedisBackoff()
                    var connects = 0
                    while await gate.parkUntilWanted() {
                        do {
                            if await client.connects != connects || connects == 0 {
                                try await client.connect()
                                if let id = try await client.command(["CLIENT", "ID"]).int { self.blockerClientIDs.withLock { $0[index] = id } }
                                connects = await client.connects
                            }
                            let moved = try await client.command(["BLMOVE", RedisArgument(source), RedisArgument(landing), "RIGHT", "LEFT", RedisArgument(timeout)])
                            backoff.reset()
                            if !moved.isNull { await gate.landed() }
                        } catch {
                            logger.warning("blocking pop failed; retrying", metadata: ["error": "\(error)"])
                            try? await Task.sleep(for: backoff.next())
                        }
                    }
                })
            }
        }
    }

    private func stopBlockers() async {
        await gate.stop()
        // Wake blockers that sit in BLMOVE now, instead of waiting for their timeout.
        let ids = blockerClientIDs.withLock { Array($0.values) }
        if !ids.isEmpty { _ = try? await redis.pipeline(ids.map { ["CLIENT", "UNBLOCK", RedisArgument($0)] }) }
        let tasks = blockerTasks.withLock { tasks -> [Task<Void, Never>] in let t = tasks; tasks = []; return t }
        for task in tasks { await task.value }
    }

    // MARK: - Outcomes

    /// Applies the outcome and removes the lease in one atomic step. Returns false when the lease had
    /// already been taken over (this worker was presumed dead): then nothing is applied, because the
    /// message is back in its queue and will be processed again.
    @discardableResult
    public func settle(_ delivery: Delivery, _ settlement: Settlement) async throws(RedisError) -> Bool {
        var args: [RedisArgument] = [RedisArgument(delivery.tag)]
        for op in settlement.ops {
            switch op {
            case .push(let key, let bytes, let front):
                args += [front ? "RPUSH" : "LPUSH", RedisArgument(key), RedisArgument(bytes: bytes), ""]
            case .delay(let id, let due, let key, let bytes):
                args += ["DELAY", RedisArgument(id), RedisArgument(Self.milliseconds(due)),
                         RedisArgument(bytes: Array(key.utf8) + [0] + bytes)]
            case .dead(let letter):
                args += ["DEAD", RedisArgument(letter.id), RedisArgument(Self.milliseconds(letter.at)),
                         RedisArgument(bytes: Self.metaJSON(letter))]
            }
        }
        let reply = try await redis.eval(BrokerScripts.settle, keys: [
            RedisArgument(keys.inflight(workerID)), RedisArgument(keys.delayed), RedisArgument(keys.delayedData),
            RedisArgument(keys.deadLetters), RedisArgument(keys.deadLetterIndex), RedisArgument(keys.deadLetterRaw),
        ], args: args)
        if reply != .integer(1) {
            logger.warning("lease was lost before the outcome was recorded; the message was requeued by recovery",
                           metadata: ["tag": "\(delivery.tag)"])
            return false
        }
        return true
    }

    /// Acknowledges many plain successes in one command.
    public func ack(_ deliveries: [Delivery]) async throws(RedisError) {
        guard !deliveries.isEmpty else { return }
        try await redis.command(["HDEL", RedisArgument(keys.inflight(workerID))] + deliveries.map { RedisArgument($0.tag) })
    }

    /// Moves due delayed messages onto their lists. Returns how many, and when the next one is due.
    public func promoteDue(now: Date = Date(), limit: Int = 1000) async throws(RedisError) -> (promoted: Int, nextDue: Date?) {
        let reply = try await redis.eval(BrokerScripts.promote, keys: [RedisArgument(keys.delayed), RedisArgument(keys.delayedData)],
                                         args: [RedisArgument(Self.milliseconds(now)), RedisArgument(limit)])
        let parts = reply.array ?? []
        let count = Int(parts.first?.int ?? 0)
        var next: Date?
        if parts.count > 1, let text = parts[1].string, let ms = Double(text) {
            next = Date(timeIntervalSince1970: ms / 1000)
        }
        return (count, next)
    }

    // MARK: - Helpers

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func metaJSON(_ letter: DeadLetter) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(isoTimestamp(date))
        }
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(letter)) ?? Data("{}".utf8))
    }

    static func registrationJSON(_ info: [String: String], keys: [String]) -> String {
        var object: [String: Any] = info
        object["keys"] = keys
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// ISO-8601 in UTC with milliseconds, e.g. `2026-11-25T17:20:13.173Z`.
public func isoTimestamp(_ date: Date) -> String {
    ISODate.formatMilliseconds(date)
}
