/// The lane a Discord request waits in when its bucket is full (see `RateLimitScripts.acquire`).
///
/// `interactive` (the default) is a single member's change someone is waiting for: `update_groups`,
/// `update_nickname`, `add_user`… `bulk` is a sync of many members (the native bulk tasks). When a
/// bucket slot frees, a waiting interactive request gets it before bulk requests, for at most
/// `RateLimitOptions.interactiveShare` of the bucket's slots per window, so a bulk never starves.
///
/// The class travels with the task, not through every endpoint's signature:
/// `RequestPriority.$current.withValue(.bulk) { … }` marks every request made inside (child tasks
/// included).
public enum RequestPriority: String, Sendable, Hashable {
    case interactive
    case bulk

    @TaskLocal public static var current: RequestPriority = .interactive
}
