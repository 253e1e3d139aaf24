public import CeleryProtocol
public import Foundation
public import PythonCompat
public import RedisClient

/// The one way discord-worker publishes Celery task messages on their own: `enqueue`, the tasks' fan-out
/// (`discord.delete_user`, the retries a bulk leaves), test and benchmark producers. Like kombu's Redis
/// transport, a message is LPUSHed, its bytes untouched, onto the list of its queue and priority
/// (`OutgoingMessage.listKey`); a new task's queue comes from `routes` unless the caller names one.
///
/// Messages published together with a task's outcome (retries, callbacks, chain steps, forwarded foreign
/// tasks) are not published here: they are part of the `Settlement` that `RedisBroker.settle` applies in one
/// atomic step with the outcome.
public final class TaskPublisher: Sendable {
    /// Where new tasks go (built from the configuration).
    public let routes: TaskRoutes
    /// The `origin` header of new tasks (Celery: `<pid>@<host>` of the producer).
    public let origin: String
    private let redis: RedisClient
    private let ownsConnection: Bool

    /// A publisher with its own connection to the broker; `close()` closes it.
    public init(url: RedisURL, routes: TaskRoutes, origin: String, name: String = "task-publisher") {
        self.redis = RedisClient(url: url, name: name)
        self.ownsConnection = true
        self.routes = routes
        self.origin = origin
    }

    /// A publisher on a broker connection its caller owns and closes (e.g. the one the task locks use).
    public init(sharing redis: RedisClient, routes: TaskRoutes, origin: String) {
        self.redis = redis
        self.ownsConnection = false
        self.routes = routes
        self.origin = origin
    }

    /// Publishes a new protocol-2 task as Celery's `send_task`/`apply_async` does
    /// (`TaskMessage.newTask`), to `queue` or else the queue `routes` gives the name. Returns the message.
    @discardableResult
    public func send(
        _ task: String, args: [JSONValue] = [], kwargs: JSONObject = [:], queue: String? = nil, priority: Int = 5,
        eta: Date? = nil, expires: Date? = nil, now: Date = Date()
    ) async throws(RedisError) -> OutgoingMessage {
        let message = TaskMessage.newTask(
            name: task, args: args, kwargs: kwargs, queue: queue ?? routes.queue(for: task), priority: priority, eta: eta,
            expires: expires, origin: origin, now: now)
        try await publish(message)
        return message
    }

    /// Publishes a message built elsewhere (its bytes and list key as they are).
    public func publish(_ message: OutgoingMessage) async throws(RedisError) {
        try await redis.command(Self.lpush(message))
    }

    /// Publishes messages in one round trip (one pipelined LPUSH each, in order). Throws when the broker
    /// cannot be reached or refused one of them.
    public func publish(_ messages: [OutgoingMessage]) async throws(RedisError) {
        let replies = try await redis.pipeline(messages.map(Self.lpush))
        if let failure = replies.first(where: { if case .error = $0 { true } else { false } }), case .error(let text) = failure {
            throw RedisError(.server, text)
        }
    }

    /// Closes the connection when this publisher made it.
    public func close() async {
        if ownsConnection { await redis.close() }
    }

    static func lpush(_ message: OutgoingMessage) -> [RedisArgument] {
        ["LPUSH", RedisArgument(message.listKey), RedisArgument(bytes: message.bytes)]
    }
}
