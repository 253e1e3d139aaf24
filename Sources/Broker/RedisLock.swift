public import RedisClient

/// Makes the locks of one holder (a worker process), all in the broker database and all bound to the
/// holder's lease:
///
/// - a lock's token is `<holder>#<suffix>`, and its key is recorded in the holder's lock set
///   (`BrokerKeys.heldLocks`), so the recover script deletes every lock a dead worker still holds, in
///   the same atomic step that returns its messages;
/// - a lock expires one lease after it was taken or last renewed; the worker's heartbeat renews the locks
///   in its set (`RedisBroker.heartbeat`), so a lock never outlives a dead holder by more than the lease;
/// - messages that wait for a lock are parked in the lock's durable waiting list
///   (`RedisBroker.lockOrPark`) and go back to the popping end of their queue when the lock is released,
///   deleted by recovery, or found expired by the housekeeping sweep. Nothing polls, nothing is lost.
public struct RedisLocks: Sendable {
    public let redis: RedisClient
    public let keys: BrokerKeys
    /// The holder's id: the worker id (`WorkerOptions.workerID`).
    public let holder: String
    /// Lock lifetime without renewal: the holder's lease.
    public let lease: Duration

    public init(redis: RedisClient, keys: BrokerKeys = BrokerKeys(), holder: String, lease: Duration) {
        self.redis = redis
        self.keys = keys
        self.holder = holder
        self.lease = lease
    }

    /// The per-user lock: two tasks for one user never run at once, across workers.
    public func user(_ pk: Int64, token suffix: String) -> RedisLock {
        lock(keys.userLock(pk), token: suffix)
    }

    /// A lock named by the caller (e.g. role creation): `BrokerKeys.namedLock`.
    public func named(_ name: String, token suffix: String) -> RedisLock {
        lock(keys.namedLock(name), token: suffix)
    }

    private func lock(_ key: String, token suffix: String) -> RedisLock {
        RedisLock(redis: redis, keys: keys, key: key, token: Self.token(holder: holder, suffix: suffix),
                  heldSet: keys.heldLocks(holder), ttlMilliseconds: Self.milliseconds(lease))
    }

    /// `<holder>#<suffix>`; a suffix that already starts with the holder prefix (a delivery tag) is kept.
    static func token(holder: String, suffix: String) -> String {
        suffix.hasPrefix(holder + "#") ? suffix : holder + "#" + suffix
    }

    static func milliseconds(_ d: Duration) -> Int {
        max(1, Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000))
    }
}

/// One lock in the broker Redis (see `RedisLocks`). Value type: the key, the token and where the
/// holder records it.
public struct RedisLock: Sendable {
    public let redis: RedisClient
    public let keys: BrokerKeys
    public let key: String
    public let token: String
    /// The holder's lock set (`BrokerKeys.heldLocks`).
    public let heldSet: String
    public let ttlMilliseconds: Int

    /// Takes the lock if it is free. Returns whether this call took it.
    public func tryAcquire() async throws(RedisError) -> Bool {
        let reply = try await redis.eval(LockScripts.acquire, keys: [RedisArgument(key), RedisArgument(heldSet)],
                                         args: [RedisArgument(token), RedisArgument(ttlMilliseconds)])
        return reply.int == 1
    }

    /// Takes the lock, waiting up to `waitUpTo` while another holder has it (short in-task locks: the
    /// pause between attempts grows from 5 ms to 200 ms). Throws `LockTimeout` when still held.
    public func acquire(waitUpTo: Duration) async throws {
        let deadline = ContinuousClock.now + waitUpTo
        var pause: Duration = .milliseconds(5)
        while true {
            if try await tryAcquire() { return }
            guard ContinuousClock.now < deadline else { throw LockTimeout(key: key, waited: waitUpTo) }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(200))
        }
    }

    /// Releases the lock if this token still holds it, and returns every message parked in its waiting
    /// list to the popping end of its queue (oldest first) once the lock is free. Returns how many.
    @discardableResult
    public func release() async throws(RedisError) -> Int {
        let reply = try await redis.eval(LockScripts.release,
            keys: [RedisArgument(key), RedisArgument(heldSet), RedisArgument(keys.lockWaitingIndex)],
            args: [RedisArgument(token)])
        return Int(reply.int ?? 0)
    }
}

/// A lock still held by someone else after the caller's wait.
public struct LockTimeout: Error, CustomStringConvertible {
    public var key: String
    public var waited: Duration
    public var description: String { "lock \(key) still held after \(waited)" }
}

/// The lock scripts. Waiting-list entries are `<list key> NUL <message bytes>` like in-flight entries;
/// a lock's waiting list is `<lock key>:waiting`, and the waiting index (a set) names every lock with one.
enum LockScripts {
    /// Lua: moves every entry of `lock`'s waiting list (parked with RPUSH, oldest first) back to the
    /// popping end of its queue, newest first, so the oldest is popped first; drops `lock` from the
    /// waiting index.
    static let wakeFunction = """
    local function wake(lock, index)
      local waiting = lock .. ':waiting'
      local n = 0
      while true do
        local v = redis.call('RPOP', waiting)
        if not v then break end
        local p = string.find(v, '\\0', 1, true)
        if p then
          redis.call('RPUSH', string.sub(v, 1, p - 1), string.sub(v, p + 1))
          n = n + 1
        end
      end
      redis.call('SREM', index, lock)
      return n
    end
    """

    /// lock-acquire v1 — KEYS: lock, held set; ARGV: token, ttl ms. Returns 1 when taken, 0 when held.
    static let acquire = RedisScript("""
    -- discord-worker lock-acquire v1
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
      redis.call('SADD', KEYS[2], KEYS[1])
      return 1
    end
    return 0
    """)

    /// lock-release v1 — KEYS: lock, held set, waiting index; ARGV: token.
    /// Deletes the lock when the token holds it; when the lock is free (now or already), wakes its waiters.
    static let release = RedisScript("""
    -- discord-worker lock-release v1
    \(wakeFunction)
    if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
    redis.call('SREM', KEYS[2], KEYS[1])
    if redis.call('EXISTS', KEYS[1]) == 0 then return wake(KEYS[1], KEYS[3]) end
    return 0
    """)

    /// lock-or-park v1 — KEYS: lock, held set, in-flight hash, waiting index; ARGV: token, ttl ms, lease tag.
    /// Takes the lock (1), or moves the in-flight message to the lock's waiting list (0), or returns -1
    /// when the lease is gone (the message was taken over).
    static let lockOrPark = RedisScript("""
    -- discord-worker lock-or-park v1
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
      redis.call('SADD', KEYS[2], KEYS[1])
      return 1
    end
    local entry = redis.call('HGET', KEYS[3], ARGV[3])
    if not entry then return -1 end
    redis.call('HDEL', KEYS[3], ARGV[3])
    redis.call('RPUSH', KEYS[1] .. ':waiting', entry)
    redis.call('SADD', KEYS[4], KEYS[1])
    return 0
    """)

    /// lock-sweep v1 — KEYS: waiting index. Wakes the waiters of every lock that no longer exists (it
    /// expired without a release). Returns how many messages went back.
    static let sweep = RedisScript("""
    -- discord-worker lock-sweep v1
    \(wakeFunction)
    local n = 0
    for _, lock in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      if redis.call('EXISTS', lock) == 0 then n = n + wake(lock, KEYS[1])
      elseif redis.call('EXISTS', lock .. ':waiting') == 0 then redis.call('SREM', KEYS[1], lock) end
    end
    return n
    """)

    /// heartbeat v1 — KEYS: alive key, held set; ARGV: lease ms, holder prefix (`<worker>#`).
    /// Renews the alive key and every lock the worker still holds; forgets locks it no longer holds.
    static let heartbeat = RedisScript("""
    -- discord-worker heartbeat v1
    redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
    local n = 0
    for _, lock in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      local v = redis.call('GET', lock)
      if v and string.sub(v, 1, #ARGV[2]) == ARGV[2] then
        redis.call('PEXPIRE', lock, ARGV[1])
        n = n + 1
      else
        redis.call('SREM', KEYS[2], lock)
      end
    end
    return n
    """)
}
