public import Foundation
public import PythonCompat

/// One task as observers see it: what Celery's events and remote-control replies describe.
public struct ObservedTask: Sendable, Equatable {
    /// Celery task id.
    public var id: String
    /// Task name (`discord.update_groups`); empty when the message could not be decoded.
    public var name: String
    /// Positional and keyword arguments as sent.
    public var args: [JSONValue]
    public var kwargs: JSONObject
    /// Celery's `retries` header.
    public var retries: Int
    /// Queue and the list key the message came from.
    public var queue: String
    public var sourceKey: String
    /// `eta` / `expires` from the message, when set.
    public var eta: Date?
    public var expires: Date?
    /// Root and parent ids (chains).
    public var rootID: String?
    public var parentID: String?
    /// When this worker received the message.
    public var received: Date

    public init(
        id: String, name: String, args: [JSONValue], kwargs: JSONObject, retries: Int, queue: String, sourceKey: String,
        eta: Date? = nil, expires: Date? = nil, rootID: String? = nil, parentID: String? = nil, received: Date
    ) {
        self.id = id
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.retries = retries
        self.queue = queue
        self.sourceKey = sourceKey
        self.eta = eta
        self.expires = expires
        self.rootID = rootID
        self.parentID = parentID
        self.received = received
    }
}

/// The final or intermediate outcome of one run, as Celery's task events name them.
public enum ObservedOutcome: Sendable, Equatable {
    /// `task-succeeded` (Celery signal `task_success`).
    case succeeded(result: JSONValue)
    /// `task-failed` (signal `task_failure`): final failure, dead-lettered.
    case failed(reason: String)
    /// `task-retried` (signal `task_retry`): a counted retry after an API/network error.
    case retried(reason: String)
    /// A rate-limit or outage wait: the message goes back without counting a retry (no Celery event).
    case postponed(reason: String)
}

/// Watches the worker's tasks: Celery events, remote control, AA's dashboard counters and metrics
/// all hang off this one seam. Calls come from the task's own Swift task, synchronously: an
/// observer must return at once (hand I/O to its own task or thread) and must never throw.
public protocol TaskObserver: Sendable {
    /// A message was taken from a queue and decoded (`task-received`).
    func taskReceived(_ task: ObservedTask)
    /// The handler is about to run (`task-started`).
    func taskStarted(_ task: ObservedTask)
    /// The handler returned; `runtime` is the handler's own duration.
    func taskFinished(_ task: ObservedTask, outcome: ObservedOutcome, runtime: Duration)
    /// Not run: undecodable, unknown task or bad arguments (`task-rejected`); `task` has what could be read.
    func taskRejected(_ task: ObservedTask?, reason: String)
    /// Not run because it expired (`task-revoked` with `expired=True`).
    func taskRevoked(_ task: ObservedTask, reason: String, expired: Bool)
}

extension TaskObserver {
    public func taskReceived(_ task: ObservedTask) {}
    public func taskStarted(_ task: ObservedTask) {}
    public func taskFinished(_ task: ObservedTask, outcome: ObservedOutcome, runtime: Duration) {}
    public func taskRejected(_ task: ObservedTask?, reason: String) {}
    public func taskRevoked(_ task: ObservedTask, reason: String, expired: Bool) {}
}
