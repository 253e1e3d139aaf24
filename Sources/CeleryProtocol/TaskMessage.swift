public import Foundation
public import PythonCompat

/// How a task arrived on the queue.
public enum MessageForm: String, Sendable, Hashable {
    /// kombu envelope, Celery task protocol 2 (`headers.task` present, body `[args, kwargs, embed]`).
    case protocol2
    /// kombu envelope, Celery task protocol 1 (no `headers.task`, body is a dict).
    case protocol1
    /// A plain JSON object `{"task": …, "args": […], "kwargs": {…}}` pushed by hand.
    case plainJSON
    /// A bare task name such as `discord.update_all_groups` pushed by hand.
    case bareName
}

/// `timelimit` header: `[hard, soft]` seconds (`[time_limit, soft_time_limit]`).
public struct TimeLimit: Sendable, Hashable {
    public var hard: Double?
    public var soft: Double?

    public init(hard: Double? = nil, soft: Double? = nil) {
        self.hard = hard
        self.soft = soft
    }

    /// `[null, null]`.
    public static let none = TimeLimit()

    var json: JSONValue {
        [hard.map(Self.number) ?? .null, soft.map(Self.number) ?? .null]
    }

    private static func number(_ value: Double) -> JSONValue {
        if let integer = Int64(exactly: value) { return .int(integer) }
        return .double(value)
    }
}

/// One task message taken from a Celery queue, in any accepted form, with the fields a worker needs.
///
/// `envelope` and `rawBytes` keep the message as it arrived, so that retries and redeliveries change
/// only what Celery itself would change.
public struct TaskMessage: Sendable {
    /// Largest message accepted (AA's `update_all` chain for 10,000 users is 8.9 MB).
    public static let maxBytes = 32 * 1024 * 1024

    /// Task id (`headers.id`; generated uuid4 for hand-made messages without one).
    public var id: String
    /// Task name, e.g. `discord.update_groups`.
    public var task: String
    public var args: [JSONValue]
    public var kwargs: JSONObject
    public var embed: Embed
    /// Run not before (`headers.eta`, or `countdown`/`eta` of a plain message).
    public var eta: Date?
    /// Do not run after.
    public var expires: Date?
    /// Attempts so far.
    public var retries: Int
    /// 0...9 (`properties.priority` as kombu reads it; for hand-made messages the `priority` field, else the
    /// priority of the list the message was popped from).
    public var priority: Int
    /// The Celery queue the message belongs to: `delivery_info.routing_key` when the exchange is the default
    /// exchange `""`, else the queue of the list it was popped from.
    public var queue: String
    /// `properties.delivery_info.routing_key` as sent.
    public var routingKey: String?
    /// `properties.delivery_info.exchange` as sent.
    public var exchange: String?
    /// The queue name or list key passed to `decode`.
    public var poppedFrom: String
    public var rootID: String?
    public var parentID: String?
    /// Group id (`headers.group`; protocol 1: `taskset`/`group`).
    public var group: String?
    public var groupIndex: Int?
    /// `headers.ignore_result`; `nil` when null or absent (`send_task`, `celery call`).
    public var ignoreResult: Bool?
    /// `properties.reply_to`.
    public var replyTo: String?
    /// `headers.origin`: producer node name.
    public var origin: String?
    /// `headers.shadow`.
    public var shadow: String?
    public var timeLimit: TimeLimit
    /// `properties.delivery_tag`.
    public var deliveryTag: String?
    /// kombu restored this message (`headers.redelivered` or `delivery_info.redelivered`).
    public var isRedelivered: Bool
    public var form: MessageForm
    /// The parsed kombu envelope (protocol 1 and 2), unknown headers and properties included.
    public var envelope: JSONObject?
    /// The bytes as popped.
    public var rawBytes: [UInt8]

    /// `envelope.headers` (empty for other forms).
    public var headers: JSONObject { envelope?["headers"]?.objectValue ?? [:] }
    /// `envelope.properties` (empty for other forms).
    public var properties: JSONObject { envelope?["properties"]?.objectValue ?? [:] }

    /// The list key this message is stored under: its queue at its priority.
    public var listKey: String { KombuKeys.listKey(queue: queue, priority: priority) }

    /// `true` when `expires` is set and not after `now`.
    public func isExpired(now: Date) -> Bool {
        guard let expires else { return false }
        return expires <= now
    }
}

/// A message ready to be pushed: the list key (queue at priority), the bytes and the task id.
public struct OutgoingMessage: Sendable, Hashable {
    /// Redis list key (`KombuKeys.listKey(queue:priority:)`).
    public var listKey: String
    /// The exact bytes to push.
    public var bytes: [UInt8]
    /// Task id of the message.
    public var id: String
    /// Task name.
    public var task: String
    /// Celery queue.
    public var queue: String
    /// 0...9.
    public var priority: Int
    /// Not to be run before this (a broker keeps it delayed until then).
    public var eta: Date?

    public init(listKey: String, bytes: [UInt8], id: String, task: String, queue: String, priority: Int, eta: Date?) {
        self.listKey = listKey
        self.bytes = bytes
        self.id = id
        self.task = task
        self.queue = queue
        self.priority = priority
        self.eta = eta
    }
}

/// Lowercase uuid4 strings, as Python's `str(uuid.uuid4())`.
public enum UUID4 {
    public static func make() -> String { UUID().uuidString.lowercased() }
}
