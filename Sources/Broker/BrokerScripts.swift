import RedisClient

/// The broker's Lua scripts. Each runs atomically in Redis, so a message is always in exactly one
/// place: a queue list, a worker's landing list, a worker's in-flight hash, the delayed set or the
/// dead letters. Version suffixes in the comments change whenever a script's contract changes.
///
/// Values stored in the in-flight hash and the delayed data hash are `<list key> NUL <message bytes>`:
/// list keys never contain NUL, message bytes may contain anything.
enum BrokerScripts {
    /// reserve v1 — KEYS: inflight, landing[1..n], source[1..n]; ARGV: max, tag prefix, n, first sequence number.
    /// Takes up to `max` messages, landing lists first, then sources in the given (priority) order, and
    /// records each in the in-flight hash. Returns a flat array tag, source key, bytes, …
    static let reserve = RedisScript("""
    -- discord-worker reserve v1
    local inflight = KEYS[1]
    local max = tonumber(ARGV[1])
    local prefix = ARGV[2]
    local n = tonumber(ARGV[3])
    local seq = tonumber(ARGV[4])
    local out = {}
    local taken = 0
    local function take(from, source)
      if taken >= max then return end
      local values = redis.call('RPOP', from, max - taken)
      if not values then return end
      for _, v in ipairs(values) do
        local tag = prefix .. seq
        seq = seq + 1
        redis.call('HSET', inflight, tag, source .. '\\0' .. v)
        out[#out + 1] = tag
        out[#out + 1] = source
        out[#out + 1] = v
        taken = taken + 1
      end
    end
    for i = 1, n do take(KEYS[1 + i], KEYS[1 + n + i]) end
    for i = 1, n do take(KEYS[1 + n + i], KEYS[1 + n + i]) end
    return out
    """)

    /// settle v1 — KEYS: inflight, delayed zset, delayed data hash, dead meta hash, dead index zset, dead raw hash;
    /// ARGV: tag, then groups of four: op, a, b, c.
    ///   LPUSH key bytes -  |  RPUSH key bytes -  |  DELAY id dueMs key\\0bytes  |  DEAD id atMs metaJSON
    /// DEAD stores the in-flight message's original bytes under the id. Returns 0 (and changes nothing)
    /// when the lease is gone (another worker took the message over).
    static let settle = RedisScript("""
    -- discord-worker settle v1
    local entry = redis.call('HGET', KEYS[1], ARGV[1])
    if not entry then return 0 end
    redis.call('HDEL', KEYS[1], ARGV[1])
    local p = string.find(entry, '\\0', 1, true)
    local raw = string.sub(entry, p + 1)
    for i = 2, #ARGV, 4 do
      local op = ARGV[i]
      if op == 'LPUSH' then redis.call('LPUSH', ARGV[i + 1], ARGV[i + 2])
      elseif op == 'RPUSH' then redis.call('RPUSH', ARGV[i + 1], ARGV[i + 2])
      elseif op == 'DELAY' then
        redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i + 1])
        redis.call('HSET', KEYS[3], ARGV[i + 1], ARGV[i + 3])
      elseif op == 'DEAD' then
        redis.call('HSET', KEYS[4], ARGV[i + 1], ARGV[i + 3])
        redis.call('HSET', KEYS[6], ARGV[i + 1], raw)
        redis.call('ZADD', KEYS[5], ARGV[i + 2], ARGV[i + 1])
      else
        return redis.error_reply('settle: unknown op ' .. tostring(op))
      end
    end
    return 1
    """)

    /// recover v2 — KEYS: alive key, inflight hash, workers hash, held-locks set, lock waiting index;
    /// ARGV: worker id, landing key prefix, lock token prefix (`<worker>#`).
    /// Returns -1 if the worker is alive; else puts every in-flight and landing message back at the
    /// popping end of its list (RPUSH, as kombu restores), deletes every lock the worker still holds
    /// (only where the lock's value still names it) and returns the messages waiting for those locks to
    /// their queues, unregisters the worker and returns the count of messages moved.
    static let recover = RedisScript("""
    -- discord-worker recover v2
    \(LockScripts.wakeFunction)
    if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
    local moved = 0
    local all = redis.call('HGETALL', KEYS[2])
    for i = 1, #all, 2 do
      local v = all[i + 1]
      local p = string.find(v, '\\0', 1, true)
      if p then
        redis.call('RPUSH', string.sub(v, 1, p - 1), string.sub(v, p + 1))
        moved = moved + 1
      end
    end
    redis.call('DEL', KEYS[2])
    local info = redis.call('HGET', KEYS[3], ARGV[1])
    if info then
      local ok, decoded = pcall(cjson.decode, info)
      if ok and type(decoded) == 'table' and type(decoded.keys) == 'table' then
        for _, source in ipairs(decoded.keys) do
          local landing = ARGV[2] .. source
          while true do
            local v = redis.call('LPOP', landing)
            if not v then break end
            redis.call('RPUSH', source, v)
            moved = moved + 1
          end
        end
      end
    end
    for _, lock in ipairs(redis.call('SMEMBERS', KEYS[4])) do
      local v = redis.call('GET', lock)
      if v and string.sub(v, 1, #ARGV[3]) == ARGV[3] then redis.call('DEL', lock) end
      if redis.call('EXISTS', lock) == 0 then moved = moved + wake(lock, KEYS[5]) end
    end
    redis.call('DEL', KEYS[4])
    redis.call('HDEL', KEYS[3], ARGV[1])
    return moved
    """)

    /// promote v1 — KEYS: delayed zset, delayed data hash; ARGV: now (ms), limit.
    /// LPUSHes due messages onto their lists (as Celery publishes) and returns {count, next due ms or false}.
    static let promote = RedisScript("""
    -- discord-worker promote v1
    local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
    for _, id in ipairs(ids) do
      local v = redis.call('HGET', KEYS[2], id)
      if v then
        local p = string.find(v, '\\0', 1, true)
        if p then redis.call('LPUSH', string.sub(v, 1, p - 1), string.sub(v, p + 1)) end
      end
      redis.call('HDEL', KEYS[2], id)
      redis.call('ZREM', KEYS[1], id)
    end
    local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {#ids, nxt[2] or false}
    """)

    /// requeue-dead v1 — KEYS: dead meta hash, dead index, dead raw hash; ARGV: ids (empty = all).
    /// Pushes each dead letter's original bytes back onto its list (LPUSH) and deletes it. Returns the count.
    static let requeueDead = RedisScript("""
    -- discord-worker requeue-dead v1
    local ids = ARGV
    if #ids == 0 then ids = redis.call('HKEYS', KEYS[1]) end
    local moved = 0
    for _, id in ipairs(ids) do
      local meta = redis.call('HGET', KEYS[1], id)
      local raw = redis.call('HGET', KEYS[3], id)
      if meta and raw then
        local ok, d = pcall(cjson.decode, meta)
        if ok and type(d) == 'table' and type(d.key) == 'string' then
          redis.call('LPUSH', d.key, raw)
          redis.call('HDEL', KEYS[1], id)
          redis.call('HDEL', KEYS[3], id)
          redis.call('ZREM', KEYS[2], id)
          moved = moved + 1
        end
      end
    end
    return moved
    """)
}
