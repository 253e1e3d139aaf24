// The rate limiter's Lua scripts. Each runs atomically inside Redis with Redis' own clock (`TIME`),
// so every process sees one timeline. Bump `RateLimitScripts.version` when a script or the key
// layout changes: the version is part of every key, so old and new workers never share state they
// would read differently.
//
// Key layout below the scope prefix P = "<keyPrefix>v<version>:<token fingerprint>:":
//   P.."route:"<METHOD template>      learned bucket hash of a route (string, TTL)
//   P.."group:"<default group>        first hash learned by a route of that group (string, TTL)
//   P.."limits:"<hash>                learned {limit, window (ms), fresh (1 = from a fresh window)}
//   P.."log:"<bucket id>              sliding log (ZSET) of reservations; score = ms time
//   P.."blocked:"<bucket id>          "do not send before": a key with a PX expiry
//   P.."global" / P.."blocked:global" the bot's global log and global block
//   P.."unauthorized"                 latch set by a 401 on the bot token
//   P.."lane:"<bucket id>             priority lane: claims (ZSET) of waiting interactive requests;
//                                     member = reservation id, score = ms time the claim lapses
//   P.."lanegrants:"<bucket id>       slots interactive requests took ahead of bulk (ZSET, score = ms)
//   P.."lanepace:"<bucket id>         grants (bulk and interactive) of the last two windows (ZSET, score = ms): pacing
//   P.."lanedemand"                   set by every interactive request (in any bucket), for the demand memory
//   <keyPrefix>v<version>:invalid     invalid requests (ZSET) of everything using this Redis
// A bucket id is "<hash>:<major>" once the route's hash is known, "default:<group>:<major>" before.
//
// Bucket keys depend on data read inside the scripts (the learned hash), so the scripts touch keys
// not passed in KEYS: fine on a single Redis server (what the worker uses), not on Redis Cluster.

enum RateLimitScripts {
    static let version = 3

    /// Reserve a slot in the route's bucket and in the global limit, or say how long to wait.
    ///
    /// ARGV: 1 scope prefix, 2 invalid key, 3 route name, 4 major id, 5 default group,
    /// 6 seed limit (0 = none), 7 seed window ms, 8 global limit (0 = not a bot request: no global,
    /// no latch), 9 global window ms, 10 reservation id, 11 hold ms (provisional score = now + hold),
    /// 12 invalid cap, 13 invalid window ms, 14 priority ("b" = bulk, else interactive),
    /// 15 interactive claim ms, 16 interactive share in permille (0 = no lane), 17 bulk yield ms,
    /// 18 now in ms ("" = Redis' clock; tests only), 19 interactive demand memory ms.
    ///
    /// Priority lane (per bucket): an interactive request that must wait leaves a claim that lapses
    /// `claim ms` after its next expected attempt. A bulk request that finds a free slot while a live
    /// claim exists yields (waits `yield ms`) — unless interactive requests already took
    /// `share × limit` (at least 1) of the bucket's slots in the last window: bulk always keeps the
    /// rest, and a claim whose owner died lapses by itself. While interactive requests use the bucket
    /// (within the demand memory, any bucket), bulk may not leave the bucket dark: a bulk that kept the bucket busy
    /// is paced to one slot per step (window/limit) after the last grant of either class, and takes the
    /// last free slot only when the next one frees within a step. Slots then free one by one, not in
    /// bursts a single request would wait a whole window behind. The lane only ever delays requests,
    /// so it never sends more than the limits allow.
    ///
    /// Returns {kind, ms, bucket id, reserved in bucket (0/1)}: kind 0 = go (ms = now),
    /// 1 = wait ms then ask again, 2 = the bot token was rejected (401 latch), 3 = invalid-request
    /// budget exhausted (ms = until it has room).
    static let acquire = """
        -- discord-worker ratelimit acquire v\(version)
        local P = ARGV[1]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if ARGV[18] and ARGV[18] ~= '' then now = tonumber(ARGV[18]) end
        local bot = tonumber(ARGV[8]) > 0
        if bot and redis.call('EXISTS', P .. 'unauthorized') == 1 then
          return {2, 0, '', 0}
        end

        local invalidKey = ARGV[2]
        local invalidCap = tonumber(ARGV[12])
        local invalidWindow = tonumber(ARGV[13])
        redis.call('ZREMRANGEBYSCORE', invalidKey, '-inf', now - invalidWindow)
        local invalidCount = redis.call('ZCARD', invalidKey)
        if invalidCount >= invalidCap then
          local e = redis.call('ZRANGE', invalidKey, invalidCount - invalidCap, invalidCount - invalidCap, 'WITHSCORES')
          local wait = 1000
          if e[2] then wait = tonumber(e[2]) + invalidWindow - now + 1 end
          if wait < 1 then wait = 1 end
          return {3, wait, '', 0}
        end

        -- ms until the log has a free slot: the entry whose expiry brings the count below the limit.
        -- An entry scored in the future is a request still in flight: it frees a full window after
        -- its response, so at least `window` from now.
        local function freeIn(key, limit, window)
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
          local count = redis.call('ZCARD', key)
          if count < limit then return 0 end
          local e = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
          local score = tonumber(e[2])
          if score > now then return window end
          return score + window - now + 1
        end
        local function blockedFor(key)
          local ttl = redis.call('PTTL', key)
          if ttl > 0 then return ttl end
          return 0
        end

        local route = ARGV[3]
        local major = ARGV[4]
        local limit = tonumber(ARGV[6])
        local window = tonumber(ARGV[7])
        local defaultID = 'default:' .. ARGV[5] .. ':' .. major
        local bucketID = defaultID
        local hash = redis.call('GET', P .. 'route:' .. route)
        local probing = not hash
        -- A route not seen yet uses the bucket another route of its default group taught
        -- (role PUT and DELETE share one), still one request at a time until it has its own answer.
        if not hash then hash = redis.call('GET', P .. 'group:' .. ARGV[5]) end
        if hash then
          bucketID = hash .. ':' .. major
          local learned = redis.call('HMGET', P .. 'limits:' .. hash, 'limit', 'window')
          if learned[1] and learned[2] then
            limit = tonumber(learned[1])
            window = tonumber(learned[2])
          end
          -- Reservations made before the hash was known move into the real bucket.
          local defaultLog = P .. 'log:' .. defaultID
          if redis.call('EXISTS', defaultLog) == 1 then
            local log = P .. 'log:' .. bucketID
            redis.call('ZUNIONSTORE', log, 2, log, defaultLog, 'AGGREGATE', 'MAX')
            redis.call('DEL', defaultLog)
            redis.call('PEXPIRE', log, window + tonumber(ARGV[11]) + 1000)
          end
        end

        local wait = 0
        if bot then wait = math.max(wait, blockedFor(P .. 'blocked:global')) end
        wait = math.max(wait, blockedFor(P .. 'blocked:' .. bucketID))
        if bucketID ~= defaultID then wait = math.max(wait, blockedFor(P .. 'blocked:' .. defaultID)) end

        local log = P .. 'log:' .. bucketID
        local useBucket = limit > 0 and window > 0
        if useBucket then
          wait = math.max(wait, freeIn(log, limit, window))
          -- Until the bucket is known, one request at a time: the seed may be too generous.
          if probing and redis.call('ZCOUNT', log, '(' .. now, '+inf') > 0 then
            wait = math.max(wait, 20)
          end
        end
        local globalLimit = tonumber(ARGV[8])
        local globalWindow = tonumber(ARGV[9])
        if bot then wait = math.max(wait, freeIn(P .. 'global', globalLimit, globalWindow)) end

        -- Priority lane.
        local share = tonumber(ARGV[16]) or 0
        local lane = useBucket and share > 0
        local interactive = ARGV[14] ~= 'b'
        local claims = P .. 'lane:' .. bucketID
        local grants = P .. 'lanegrants:' .. bucketID
        local pace = P .. 'lanepace:' .. bucketID
        -- Interactive demand is one flag for all buckets: the next single task's request may be in any of
        -- them (a PATCH after role PUTs), and it must not find that bucket in a burst. Any interactive
        -- request keeps it for `demand ms` (at least two windows; one that found a free slot too:
        -- otherwise pacing lapses, bursts come back and the next one waits a whole window).
        local demand = P .. 'lanedemand'
        if lane and interactive then
          redis.call('SET', demand, '1', 'PX', math.max(2 * window, tonumber(ARGV[19]) or 0))
        end
        if lane and interactive and wait > 0 then
          local claim = tonumber(ARGV[15])
          redis.call('ZADD', claims, now + wait + claim, ARGV[10])
          redis.call('PEXPIRE', claims, wait + claim + 1000)
        elseif lane and not interactive and wait == 0 and redis.call('EXISTS', demand) == 1 then
          -- While interactive requests use this bucket, a bulk request may not leave it dark: slots must
          -- free one by one, so that a single request waits at most one step (window/limit), never a
          -- whole window behind a burst.
          local step = math.floor(window / limit)
          -- 1. Pacing: a bulk that has kept the bucket busy (limit grants of any class in the last two
          --    windows) takes one slot per step after the bucket's last grant (bulk or interactive).
          redis.call('ZREMRANGEBYSCORE', pace, '-inf', now - 2 * window)
          if redis.call('ZCARD', pace) >= limit then
            local last = redis.call('ZRANGE', pace, -1, -1, 'WITHSCORES')
            local nextAt = tonumber(last[2]) + step
            if nextAt > now then wait = nextAt - now end
          end
          -- 2. The last free slot: taken by bulk only when the next slot frees within one step
          --    (else the bucket would be full, with nothing freeing, for longer than a step; a single
          --    request arriving then would wait all that time). Slots taken in a burst before (a bulk
          --    that started without demand) free in a burst: this spreads them out within a window.
          if wait == 0 then
            local count = redis.call('ZCARD', log)
            if count >= 1 and count == limit - 1 then
              local oldest = tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2])
              local nextFree = oldest + window
              if oldest > now then nextFree = now + window end
              if nextFree - now > step then wait = nextFree - now - step end
            end
          end
        end
        if lane and not interactive and wait == 0 then
          redis.call('ZREMRANGEBYSCORE', claims, '-inf', now)
          if redis.call('ZCARD', claims) > 0 then
            redis.call('ZREMRANGEBYSCORE', grants, '-inf', now - window)
            local cap = math.max(1, math.floor(limit * share / 1000))
            if redis.call('ZCARD', grants) < cap then return {1, tonumber(ARGV[17]), bucketID, 0} end
          end
        end
        if wait > 0 then return {1, wait, bucketID, 0} end

        local hold = tonumber(ARGV[11])
        local reserved = 0
        if useBucket then
          redis.call('ZADD', log, now + hold, ARGV[10])
          redis.call('PEXPIRE', log, window + hold + 1000)
          reserved = 1
        end
        if bot then
          redis.call('ZADD', P .. 'global', now + hold, ARGV[10])
          redis.call('PEXPIRE', P .. 'global', globalWindow + hold + 1000)
        end
        if lane then
          redis.call('ZADD', pace, now, ARGV[10])
          redis.call('PEXPIRE', pace, 2 * window + 1000)
        end
        if lane and interactive then
          -- Only slots taken on a claim count against the share: those are the ones bulk yielded.
          if redis.call('ZREM', claims, ARGV[10]) == 1 then
            redis.call('ZADD', grants, now, ARGV[10])
            redis.call('PEXPIRE', grants, window + 1000)
          end
        end
        return {0, now, bucketID, reserved}
        """

    /// After the response (or a transport failure): re-score the reservation to now (the server saw
    /// the request no later than this), learn the bucket from the headers, obey a 429, count invalid
    /// requests, latch a 401.
    ///
    /// ARGV: 1 scope prefix, 2 invalid key, 3 route name, 4 major id, 5 default group,
    /// 6 reservation id, 7 bucket id from acquire, 8 bot request (1/0), 9 HTTP status (0 = no response),
    /// 10 bucket hash header, 11 limit header, 12 remaining header, 13 reset-after ms,
    /// 14 429 wait ms, 15 429 scope (global/bucket/shared/""), 16 invalid window ms,
    /// 17 learned TTL ms, 18 latch TTL ms, 19 seed window ms, 20 counts as invalid (1/0).
    ///
    /// Returns the number of invalid requests in the current window.
    static let complete = """
        -- discord-worker ratelimit complete v\(version)
        local P = ARGV[1]
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local route = ARGV[3]
        local major = ARGV[4]
        local id = ARGV[6]
        local acquired = ARGV[7]
        local bot = ARGV[8] == '1'
        local status = tonumber(ARGV[9])
        local hash = ARGV[10]
        local learnedTTL = tonumber(ARGV[17])

        local function extendBlock(key, ms)
          if ms <= 0 then return end
          if redis.call('PTTL', key) < ms then redis.call('SET', key, '1', 'PX', ms) end
        end

        if acquired ~= '' then
          redis.call('ZADD', P .. 'log:' .. acquired, 'XX', now, id)
        end
        local mapped = redis.call('GET', P .. 'route:' .. route)
        if mapped and (mapped .. ':' .. major) ~= acquired then
          redis.call('ZADD', P .. 'log:' .. mapped .. ':' .. major, 'XX', now, id)
        end
        if bot then redis.call('ZADD', P .. 'global', 'XX', now, id) end

        local bucketID = acquired
        if bucketID == '' then
          if mapped then bucketID = mapped .. ':' .. major else bucketID = 'default:' .. ARGV[5] .. ':' .. major end
        end
        local limit = tonumber(ARGV[11])
        local remaining = tonumber(ARGV[12])
        local resetAfter = tonumber(ARGV[13])
        if hash ~= '' then
          redis.call('SET', P .. 'route:' .. route, hash, 'PX', learnedTTL)
          redis.call('SET', P .. 'group:' .. ARGV[5], hash, 'NX', 'PX', learnedTTL)
          bucketID = hash .. ':' .. major
          if limit and limit > 0 and remaining and resetAfter then
            local key = P .. 'limits:' .. hash
            local old = redis.call('HMGET', key, 'limit', 'window', 'fresh')
            local oldLimit = tonumber(old[1])
            local oldWindow = tonumber(old[2])
            if remaining == limit - 1 then
              -- First request of a fresh window: Reset-After is the window. Keep the largest seen.
              local w = resetAfter
              if old[3] == '1' and oldLimit == limit and oldWindow and oldWindow > w then w = oldWindow end
              redis.call('HSET', key, 'limit', limit, 'window', w, 'fresh', '1')
            elseif oldLimit and oldWindow then
              if oldLimit ~= limit then redis.call('HSET', key, 'limit', limit) end
              if resetAfter > oldWindow then redis.call('HSET', key, 'window', resetAfter) end
            else
              redis.call('HSET', key, 'limit', limit, 'window', math.max(resetAfter, tonumber(ARGV[19])), 'fresh', '0')
            end
            redis.call('PEXPIRE', key, learnedTTL)
          end
        end

        if status ~= 429 and remaining == 0 and resetAfter and resetAfter > 0 then
          extendBlock(P .. 'blocked:' .. bucketID, resetAfter)
        end
        if status == 429 then
          local wait = tonumber(ARGV[14])
          if ARGV[15] == 'global' and bot then
            extendBlock(P .. 'blocked:global', wait)
          else
            extendBlock(P .. 'blocked:' .. bucketID, wait)
          end
        end

        local invalidKey = ARGV[2]
        local invalidWindow = tonumber(ARGV[16])
        if ARGV[20] == '1' then
          redis.call('ZADD', invalidKey, now, id)
          redis.call('PEXPIRE', invalidKey, invalidWindow)
        end
        if status == 401 and bot then
          local ttl = tonumber(ARGV[18])
          if ttl > 0 then
            redis.call('SET', P .. 'unauthorized', '1', 'PX', ttl)
          else
            redis.call('SET', P .. 'unauthorized', '1')
          end
        end
        redis.call('ZREMRANGEBYSCORE', invalidKey, '-inf', now - invalidWindow)
        return redis.call('ZCARD', invalidKey)
        """
}
