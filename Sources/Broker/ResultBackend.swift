public import CeleryProtocol
public import RedisClient

/// Celery's Redis result backend (`CELERY_RESULT_BACKEND`), as celery's `RedisBackend` writes it: the meta
/// JSON (`ResultMeta`) under `celery-task-meta-<id>` for `result_expires` seconds, and the same bytes
/// published on the channel of that name (what `AsyncResult.get()` waits on), both in one `MULTI`/`EXEC`.
/// A stored `SUCCESS` is never overwritten (Celery's backend keeps the first ready success).
public final class ResultBackend: Sendable {
    /// `result_expires` in seconds.
    public let expires: Int
    private let redis: RedisClient

    /// A backend with its own connection to `url`; `close()` closes it.
    public init(url: RedisURL, expires: Int = ResultMeta.defaultExpirySeconds, name: String = "results") {
        self.redis = RedisClient(url: url, name: name)
        self.expires = expires
    }

    /// Stores and publishes `meta` for `taskID`. Returns false when nothing was written because the task
    /// already has a stored `SUCCESS`.
    @discardableResult
    public func store(_ meta: [UInt8], taskID: String) async throws(RedisError) -> Bool {
        let key = ResultMeta.key(taskID: taskID)
        if let existing = try await redis.command(["GET", RedisArgument(key)]).bytes, ResultMeta.status(of: existing) == "SUCCESS" {
            return false
        }
        _ = try await redis.pipeline([
            ["MULTI"],
            ["SETEX", RedisArgument(key), RedisArgument(expires), RedisArgument(bytes: meta)],
            ["PUBLISH", RedisArgument(key), RedisArgument(bytes: meta)],
            ["EXEC"],
        ])
        return true
    }

    public func close() async {
        await redis.close()
    }
}
