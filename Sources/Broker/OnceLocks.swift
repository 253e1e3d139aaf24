import CeleryProtocol
public import PythonCompat
public import RedisClient

/// Alliance Auth's celery_once locks, written in AA's Django cache (`CACHE_URL`, not the broker database):
/// the one place that takes and deletes them. Keys and value are `OnceLock`'s (celery-once's `QueueOnce`
/// through django-redis).
///
/// - taken (`SET key value NX PX 3600000`) when discord-worker publishes a task AA would publish with
///   `.delay()` (a chain step, `discord.delete_user`);
/// - deleted at a task's final outcome, as celery-once's `after_return` does; otherwise AA refuses the same
///   call for an hour.
public struct OnceLocks: Sendable {
    /// AA's cache connection, owned and closed by the caller.
    public let cache: RedisClient
    public init(cache: RedisClient) {
        self.cache = cache
    }

    /// The key of one call (`OnceLock.key`).
    public func key(task: String, parameters: [String], args: [JSONValue], kwargs: JSONObject) -> String {
        OnceLock.key(task: task, parameters: parameters, args: args, kwargs: kwargs)
    }

    /// Takes the call's lock if nobody holds it. Returns whether this call took it.
    @discardableResult
    public func take(task: String, parameters: [String], args: [JSONValue], kwargs: JSONObject) async throws(RedisError) -> Bool {
        let key = key(task: task, parameters: parameters, args: args, kwargs: kwargs)
        let reply = try await cache.command([
            "SET", RedisArgument(key), RedisArgument(bytes: OnceLock.value), "NX", "PX", RedisArgument(OnceLock.timeoutMilliseconds),
        ])
        return reply == .status("OK")
    }

    /// Deletes the call's lock (whoever took it).
    public func release(task: String, parameters: [String], args: [JSONValue], kwargs: JSONObject) async throws(RedisError) {
        let key = key(task: task, parameters: parameters, args: args, kwargs: kwargs)
        try await cache.command(["DEL", RedisArgument(key)])
    }
}
