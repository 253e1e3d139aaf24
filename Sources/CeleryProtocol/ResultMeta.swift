public import Foundation
public import PythonCompat

/// Celery result-backend values for Redis (celery's `RedisBackend`; stock AA configures no result backend):
/// stored under `celery-task-meta-<id>` and
/// published on the channel of the same name.
public enum ResultMeta {
    /// Celery task states this worker stores.
    public enum State: String, Sendable, Hashable {
        case success = "SUCCESS"
        case failure = "FAILURE"
        case retry = "RETRY"
        case revoked = "REVOKED"

        /// Ready states carry a `date_done`.
        public var isReady: Bool { self != .retry }
    }

    /// Default `result_expires`: one day.
    public static let defaultExpirySeconds = 86_400

    /// `celery-task-meta-<id>`, the key and the pub/sub channel.
    public static func key(taskID: String) -> String { "celery-task-meta-" + taskID }

    /// The `status` of stored meta JSON (e.g. `SUCCESS`); nil when the bytes are not meta.
    public static func status(of stored: [UInt8]) -> String? {
        (try? JSONValue.parse(stored))?["status"]?.stringValue
    }

    /// An exception as Celery's JSON backend stores it: `{"exc_type", "exc_message": [args…], "exc_module"}`.
    public static func exception(type: String, message: [JSONValue], module: String) -> JSONValue {
        ["exc_type": .string(type), "exc_message": .array(message), "exc_module": .string(module)]
    }

    /// The meta JSON in Celery's key order: `status`, `result`, `traceback`, `children`, `date_done` (ISO
    /// `+00:00` for ready states, else null), `group_id`/`parent_id` when set, then `task_id`.
    public static func json(
        state: State, taskID: String, result: JSONValue, traceback: String? = nil, children: [JSONValue] = [],
        dateDone: Date, groupID: String? = nil, parentID: String? = nil
    ) -> [UInt8] {
        var meta: JSONObject = [
            "status": .string(state.rawValue),
            "result": result,
            "traceback": traceback.map(JSONValue.string) ?? .null,
            "children": .array(children),
            "date_done": state.isReady ? .string(ISODate.format(dateDone)) : .null,
        ]
        if let groupID { meta["group_id"] = .string(groupID) }
        if let parentID { meta["parent_id"] = .string(parentID) }
        meta["task_id"] = .string(taskID)
        return meta.serialized(.python)
    }

    /// `SUCCESS` with the task's return value.
    public static func success(
        taskID: String, result: JSONValue, dateDone: Date, groupID: String? = nil, parentID: String? = nil
    ) -> [UInt8] {
        json(state: .success, taskID: taskID, result: result, dateDone: dateDone, groupID: groupID, parentID: parentID)
    }

    /// `FAILURE` with an exception dict (`exception(type:message:module:)`).
    public static func failure(
        taskID: String, excType: String, excMessage: [JSONValue], excModule: String, traceback: String?,
        dateDone: Date, groupID: String? = nil, parentID: String? = nil
    ) -> [UInt8] {
        json(
            state: .failure, taskID: taskID, result: exception(type: excType, message: excMessage, module: excModule),
            traceback: traceback, dateDone: dateDone, groupID: groupID, parentID: parentID)
    }

    /// `FAILURE` for a task name no worker knows (`celery.exceptions.NotRegistered`).
    public static func notRegistered(taskID: String, task: String, dateDone: Date) -> [UInt8] {
        failure(
            taskID: taskID, excType: "NotRegistered", excMessage: [.string(task)], excModule: "celery.exceptions",
            traceback: nil, dateDone: dateDone)
    }

    /// `RETRY` with the exception that caused it (`date_done` null).
    public static func retry(
        taskID: String, excType: String, excMessage: [JSONValue], excModule: String, traceback: String?,
        groupID: String? = nil, parentID: String? = nil
    ) -> [UInt8] {
        json(
            state: .retry, taskID: taskID, result: exception(type: excType, message: excMessage, module: excModule),
            traceback: traceback, dateDone: Date(timeIntervalSince1970: 0), groupID: groupID, parentID: parentID)
    }

    /// `REVOKED` (`TaskRevokedError`), e.g. reason `expired`.
    public static func revoked(taskID: String, reason: String, dateDone: Date) -> [UInt8] {
        json(
            state: .revoked, taskID: taskID,
            result: exception(type: "TaskRevokedError", message: [.string(reason)], module: "celery.exceptions"),
            dateDone: dateDone)
    }
}
