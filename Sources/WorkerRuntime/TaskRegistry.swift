public import Broker
public import CeleryProtocol
import Foundation
public import Logging
public import PythonCompat
import Synchronization

/// What a task handler decided.
public enum TaskOutcome: Sendable, Equatable {
    /// Done; the value is the task's return value (stored in a result backend, passed down a chain).
    case success(JSONValue)
    /// Try again later. `countsAsRetry` is true for API/network errors (bounded by
    /// `DISCORD_TASKS_MAX_RETRIES`, waiting `DISCORD_TASKS_RETRY_PAUSE`), false for rate-limit backoffs,
    /// which wait exactly `after` and never count.
    case retry(after: Duration, reason: String, countsAsRetry: Bool)
    /// Final failure caused by the input (e.g. `unknown user`): dead-lettered with this reason, the chain stops.
    case failure(reason: String)
    /// A service the task needs is unavailable or refuses this worker (Redis down, wrong `CACHE_URL`, bad
    /// password): logged as an error, tried again with a growing pause (5 s doubling to 5 min), never
    /// counted as a retry, and reported in `status` until a task succeeds again.
    case unavailable(reason: String)

    /// A retry after an API or network error, with the configured pause.
    public static func retryAfterError(_ reason: String) -> TaskOutcome {
        .retry(after: .zero, reason: reason, countsAsRetry: true)
    }
}

/// One run of a task, as the handler sees it.
public struct TaskInvocation: Sendable {
    public var id: String
    public var name: String
    /// Every parameter's value, bound like Python binds (defaults included).
    public var arguments: [String: JSONValue]
    /// Attempts before this one (Celery's `retries` header).
    public var retries: Int
    public var logger: Logger
    /// Reports progress of bulk work for `status` and the log.
    public var progress: BulkProgressReporter

    public init(id: String, name: String, arguments: [String: JSONValue], retries: Int, logger: Logger, progress: BulkProgressReporter) {
        self.id = id
        self.name = name
        self.arguments = arguments
        self.retries = retries
        self.logger = logger
        self.progress = progress
    }

    /// A required integer argument (`user_pk`). Returns nil and the caller answers `.failure`.
    public func int(_ name: String) -> Int64? {
        switch arguments[name] {
        case .int(let v): return v
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int64(d)
        default: return nil
        }
    }

    public func string(_ name: String) -> String? { arguments[name]?.stringValue }
    public func bool(_ name: String) -> Bool? { arguments[name]?.boolValue }
}

/// A task name with its Python parameters and its handler.
public struct TaskDefinition: Sendable {
    public var name: String
    public var parameters: [Parameter]
    /// AA takes a celery_once lock for this task (`QueueOnce`); the worker deletes it at the final outcome.
    public var usesOnceLock: Bool
    /// The parameter naming the user, if two runs for the same user must never overlap.
    public var userParameter: String?
    public var handler: @Sendable (TaskInvocation) async throws -> TaskOutcome

    public init(name: String, parameters: [Parameter], usesOnceLock: Bool = false, userParameter: String? = nil,
                handler: @escaping @Sendable (TaskInvocation) async throws -> TaskOutcome) {
        self.name = name
        self.parameters = parameters
        self.usesOnceLock = usesOnceLock
        self.userParameter = userParameter
        self.handler = handler
    }
}

/// Task names the worker knows. `celery.ping` is always there.
public final class TaskRegistry: Sendable {
    private let definitions = Mutex<[String: TaskDefinition]>([:])

    public init() {
        register(TaskDefinition(name: "celery.ping", parameters: []) { _ in .success("pong") })
    }

    public func register(_ definition: TaskDefinition) {
        definitions.withLock { $0[definition.name] = definition }
    }

    public func definition(_ name: String) -> TaskDefinition? {
        definitions.withLock { $0[name] }
    }

    public var names: [String] { definitions.withLock { Array($0.keys).sorted() } }
}
