/// Names of the keys discord-worker owns in the broker database (kombu's own keys — the queue
/// lists, `unacked`, `_kombu.binding.*` — are never touched). One type builds them all.
public struct BrokerKeys: Sendable, Hashable {
    public var prefix: String

    public init(prefix: String = "discord-worker:") { self.prefix = prefix }

    /// Hash: worker id → registration JSON (host, pid, started, queues, the list keys it consumes).
    public var workers: String { prefix + "workers" }
    /// String with a TTL of one lease: present while the worker is alive.
    public func alive(_ worker: String) -> String { prefix + "worker:" + worker + ":alive" }
    /// Hash: lease tag → `<list key> NUL <message bytes>` for every message the worker holds.
    public func inflight(_ worker: String) -> String { prefix + "worker:" + worker + ":inflight" }
    /// Prefix of the worker's landing lists (one per source list, filled by blocking BLMOVE).
    public func landingPrefix(_ worker: String) -> String { prefix + "worker:" + worker + ":landing:" }
    public func landing(_ worker: String, source: String) -> String { landingPrefix(worker) + source }
    /// Sorted set of delayed message ids by due time (ms); their bytes and target list in `delayedData`.
    public var delayed: String { prefix + "delayed" }
    public var delayedData: String { prefix + "delayed:data" }
    /// Dead letters: metadata JSON, original bytes, and an index by time (ms).
    public var deadLetters: String { prefix + "dead" }
    public var deadLetterRaw: String { prefix + "dead:raw" }
    public var deadLetterIndex: String { prefix + "dead:index" }
    /// Progress of running bulk tasks: hash task id → JSON.
    public var bulkProgress: String { prefix + "bulk" }
    /// Per-user mutual exclusion across workers (a `RedisLock`).
    public func userLock(_ userPK: Int64) -> String { prefix + "lock:user:" + String(userPK) }
    /// Any other lock keyed to a running task (e.g. `create-role:<md5>`), a `RedisLock`.
    public func namedLock(_ name: String) -> String { prefix + "lock:" + name }
    /// String (JSON, 10 min TTL): a persistent problem the worker's tasks meet (e.g. a Redis they cannot reach).
    public func problem(_ worker: String) -> String { prefix + "worker:" + worker + ":problem" }
    /// Set: the lock keys a worker holds (renewed by its heartbeat, deleted when it is recovered).
    public func heldLocks(_ worker: String) -> String { prefix + "worker:" + worker + ":locks" }
    /// List: messages (`<list key> NUL <bytes>`) parked until `lockKey` is free.
    public func lockWaiting(_ lockKey: String) -> String { lockKey + ":waiting" }
    /// Set: every lock key that has a waiting list (for the sweep and `status`).
    public var lockWaitingIndex: String { prefix + "lock-waiting" }
}
