/// Every log metadata key the worker uses, in one place.
public enum LogKey {
    public static let taskID = "task_id"
    public static let task = "task"
    public static let userPK = "user_pk"
    public static let retries = "retries"
    public static let outcome = "outcome"
    public static let durationMS = "duration_ms"
    public static let reason = "reason"
    public static let queue = "queue"
    public static let worker = "worker"
    public static let error = "error"
}
