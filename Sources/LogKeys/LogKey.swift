/// Every log metadata key of the worker, in one place: each module that logs uses these names, so one key
/// means one thing in every log line (what operators filter and alert on).
public enum LogKey {
    // A task and its outcome (WorkerRuntime).
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

    // One HTTP exchange (CurlHTTP) and one Discord request (DiscordAPI).
    public static let request = "request"
    public static let route = "route"
    public static let status = "status"
    public static let bucket = "bucket"
    public static let attempt = "attempt"
    public static let waitMilliseconds = "wait_ms"
    public static let elapsed = "elapsed"
    public static let scope = "scope"
    public static let discordCode = "discord_code"
    public static let invalidCount = "invalid_requests"
}
