import Foundation
import CeleryProtocol
public import RedisClient

/// Read-only and operator views of the broker state, for `status` and `dead-letters`.
/// Works without being a registered worker.
public struct BrokerInspector: Sendable {
    let redis: RedisClient
    public let keys: BrokerKeys

    public init(redis: RedisClient, keys: BrokerKeys = BrokerKeys()) {
        self.redis = redis
        self.keys = keys
    }

    /// Every bulk progress entry (running and recently finished), oldest first.
    public func bulkProgress() async throws -> [BulkProgress] {
        try await BulkProgressReporter.all(redis: redis, keys: keys)
    }

    public struct WorkerState: Sendable, Hashable {
        public var id: String
        /// Milliseconds until the alive key expires; nil when it has expired (the worker is dead).
        public var aliveTTLMilliseconds: Int64?
        public var inFlight: Int
        public var info: [String: String]
        /// A persistent problem its tasks meet (`RedisBroker.reportProblem`), e.g. an unreachable Redis.
        public var problem: String?
    }

    /// Lengths of the given lists, in order (one pipeline).
    public func lengths(of listKeys: [String]) async throws(RedisError) -> [Int] {
        let replies = try await redis.pipeline(listKeys.map { ["LLEN", RedisArgument($0)] })
        return replies.map { Int($0.int ?? 0) }
    }

    public func delayedCount() async throws(RedisError) -> Int {
        Int(try await redis.command(["ZCARD", RedisArgument(keys.delayed)]).int ?? 0)
    }

    /// Messages parked until a lock is free (in the locks' durable waiting lists).
    public func waitingForLocksCount() async throws(RedisError) -> Int {
        let locks = try await redis.command(["SMEMBERS", RedisArgument(keys.lockWaitingIndex)]).array?.compactMap(\.string) ?? []
        guard !locks.isEmpty else { return 0 }
        return try await lengths(of: locks.map(keys.lockWaiting)).reduce(0, +)
    }

    public func deadLetterCount() async throws(RedisError) -> Int {
        Int(try await redis.command(["HLEN", RedisArgument(keys.deadLetters)]).int ?? 0)
    }

    /// Every registered worker with its liveness and in-flight count (landing lists included).
    public func workers() async throws(RedisError) -> [WorkerState] {
        let all = try await redis.command(["HGETALL", RedisArgument(keys.workers)]).array ?? []
        var result: [WorkerState] = []
        var i = 0
        while i + 1 < all.count {
            let id = all[i].string ?? ""
            let infoJSON = all[i + 1].bytes ?? []
            i += 2
            var info: [String: String] = [:]
            var sources: [String] = []
            if let object = try? JSONSerialization.jsonObject(with: Data(infoJSON)) as? [String: Any] {
                for (k, v) in object {
                    if k == "keys", let list = v as? [String] { sources = list } else { info[k] = "\(v)" }
                }
            }
            var commands: [[RedisArgument]] = [
                ["PTTL", RedisArgument(keys.alive(id))],
                ["HLEN", RedisArgument(keys.inflight(id))],
                ["GET", RedisArgument(keys.problem(id))],
            ]
            commands += sources.map { ["LLEN", RedisArgument(keys.landing(id, source: $0))] }
            let replies = try await redis.pipeline(commands)
            let ttl = replies[0].int ?? -2
            let held = Int(replies[1].int ?? 0) + replies.dropFirst(3).reduce(0) { $0 + Int($1.int ?? 0) }
            var problem: String?
            if let json = replies[2].bytes {
                problem = ((try? JSONSerialization.jsonObject(with: Data(json))) as? [String: Any])?["error"] as? String
            }
            result.append(WorkerState(id: id, aliveTTLMilliseconds: ttl >= 0 ? ttl : nil, inFlight: held, info: info, problem: problem))
        }
        return result.sorted { $0.id < $1.id }
    }

    /// Dead letters, oldest first.
    public func deadLetters(limit: Int = 10_000) async throws(RedisError) -> [StoredDeadLetter] {
        let ids = try await redis.command(["ZRANGE", RedisArgument(keys.deadLetterIndex), 0, RedisArgument(limit - 1)]).array?.compactMap(\.string) ?? []
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.flatMap { id -> [[RedisArgument]] in
            [["HGET", RedisArgument(keys.deadLetters), RedisArgument(id)], ["HGET", RedisArgument(keys.deadLetterRaw), RedisArgument(id)]]
        })
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return ISODate.parse(text) ?? Date(timeIntervalSince1970: 0)
        }
        var result: [StoredDeadLetter] = []
        for (n, _) in ids.enumerated() {
            guard let meta = replies[2 * n].bytes, let letter = try? decoder.decode(DeadLetter.self, from: Data(meta)) else { continue }
            result.append(StoredDeadLetter(letter: letter, raw: replies[2 * n + 1].bytes ?? []))
        }
        return result
    }

    /// Puts dead letters back onto their lists (all of them when `ids` is empty). Returns how many.
    public func requeueDeadLetters(ids: [String]) async throws(RedisError) -> Int {
        let reply = try await redis.eval(BrokerScripts.requeueDead,
            keys: [RedisArgument(keys.deadLetters), RedisArgument(keys.deadLetterIndex), RedisArgument(keys.deadLetterRaw)],
            args: ids.map { RedisArgument($0) })
        return Int(reply.int ?? 0)
    }

    /// Moves every delayed message (eta, countdown, retries) onto its list now, due or not, for whichever
    /// worker consumes the queue (a Python Celery worker holds a message with an `eta` until it is due).
    /// Returns how many. For handing work back to Celery (`discord-worker drain`).
    public func releaseDelayed() async throws(RedisError) -> Int {
        var total = 0
        while true {
            let reply = try await redis.eval(BrokerScripts.promote, keys: [RedisArgument(keys.delayed), RedisArgument(keys.delayedData)],
                                             args: ["+inf", 1000])
            let moved = Int(reply.array?.first?.int ?? 0)
            total += moved
            if moved == 0 { return total }
        }
    }

    /// Deletes every dead letter. Returns how many there were.
    public func purgeDeadLetters() async throws(RedisError) -> Int {
        let count = try await deadLetterCount()
        try await redis.command(["DEL", RedisArgument(keys.deadLetters), RedisArgument(keys.deadLetterRaw), RedisArgument(keys.deadLetterIndex)])
        return count
    }
}
