/// Log metadata keys of this module, in one place.
enum LogKey {
    static let route = "route"
    static let status = "status"
    static let bucket = "bucket"
    static let attempt = "attempt"
    static let waitMilliseconds = "wait_ms"
    static let elapsed = "elapsed"
    static let scope = "scope"
    static let error = "error"
    static let discordCode = "discord_code"
    static let invalidCount = "invalid_requests"
}
