public import DiscordAPI
public import Foundation
import Synchronization
public import RedisClient
public import WorkerRuntime

/// A configuration problem: one line naming the variable, never its value when it is a secret.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var variable: String
    public var problem: String
    public var description: String { "configuration error: \(variable) \(problem)" }
}

/// Every setting of README "Configuration", read once from the environment (and an optional env file) into types.
public struct Configuration: Sendable {
    public var guildID: UInt64?
    public var botToken: Secret?
    public var appID: String?
    public var appSecret: Secret?
    public var callbackURL: String?
    public var syncNames = false
    /// `DISCORD_ROLES_CACHE_MAX_AGE`, milliseconds (the seed's unit; AA 5.x reads seconds).
    public var rolesCacheMaxAgeMilliseconds = 7_200_000
    public var retryPauseSeconds = 60
    public var maxRetries = 3
    public var apiBaseURL = "https://discord.com/api/v10/"
    public var oauthBaseURL = "https://discord.com/api/oauth2/authorize"
    public var oauthTokenURL = "https://discord.com/api/oauth2/token"
    public var guildNameCacheMaxAgeSeconds = 86_400
    public var disableRoleCreation = false
    public var connectTimeoutSeconds = 5.0
    public var readTimeoutSeconds = 30.0
    public var brokerURL: RedisURL
    public var cacheURL: RedisURL
    public var databaseURL = "sqlite:///allianceauth.db"
    /// `DISCORD_WORKER_DB_POOL`: at most this many MariaDB/MySQL connections per worker process.
    public var databasePoolSize = 4
    public var queues = ["services"]
    public var concurrency = 16
    public var leaseSeconds = 30
    /// `DISCORD_WORKER_INTERACTIVE_SHARE`: percent of a bucket's slots waiting single-user requests may take ahead of bulk syncs (0 = no priority lane).
    public var interactiveSharePercent = 80
    public var resultBackendURL: RedisURL?
    public var logLevel = "info"
    /// `DISCORD_WORKER_FOREIGN_TASKS`: `forward:QUEUE` (default `forward:celery`) or `dead-letter`.
    public var foreignTasks: ForeignTasks = .forward(queue: "celery")
    /// `DISCORD_WORKER_HTTP_ADDRESS`: `host:port` of `/metrics`, `/healthz`, `/readyz`; nil = off.
    public var httpAddress: String?
    /// `DISCORD_WORKER_LOG_FORMAT`: `text` (default) or `json` (one object per line).
    public var logFormat = "text"

    /// Every setting name the program reads (README "Configuration"), for the check that deploy files name
    /// nothing else. Some are read by other parts of the program than this initializer.
    public static let knownSettingNames: Set<String> = [
        "DISCORD_GUILD_ID", "DISCORD_BOT_TOKEN", "DISCORD_APP_ID", "DISCORD_APP_SECRET", "DISCORD_CALLBACK_URL",
        "DISCORD_SYNC_NAMES", "DISCORD_ROLES_CACHE_MAX_AGE", "DISCORD_TASKS_RETRY_PAUSE", "DISCORD_TASKS_MAX_RETRIES",
        "DISCORD_API_BASE_URL", "DISCORD_OAUTH_BASE_URL", "DISCORD_OAUTH_TOKEN_URL", "DISCORD_GUILD_NAME_CACHE_MAX_AGE",
        "DISCORD_DISABLE_ROLE_CREATION", "DISCORD_API_TIMEOUT", "BROKER_URL", "CACHE_URL", "DATABASE_URL",
        "DISCORD_WORKER_QUEUES", "DISCORD_WORKER_CONCURRENCY", "DISCORD_WORKER_LEASE_SECONDS", "CELERY_RESULT_BACKEND",
        "DISCORD_WORKER_LOG_LEVEL", "DISCORD_WORKER_HTTP_ADDRESS", "DISCORD_WORKER_LOG_FORMAT",
        "DISCORD_WORKER_DB_POOL", "DISCORD_WORKER_NODE_NAME", "DISCORD_WORKER_SEND_EVENTS",
        "ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED", "DISCORD_WORKER_FOREIGN_TASKS", "DISCORD_WORKER_INTERACTIVE_SHARE",
    ]
    /// `DISCORD_WORKER_NODE_NAME`: the Celery node name (`nil`: `discord-worker@HOST`).
    public var nodeName: String?
    /// `DISCORD_WORKER_SEND_EVENTS`: Celery task events from the start (like `celery worker -E`).
    public var sendEvents = false
    /// `ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED`: AA's dashboard task counters are not written.
    public var dashboardTaskStatisticsDisabled = false

    static let secretNames: Set<String> = ["DISCORD_BOT_TOKEN", "DISCORD_APP_SECRET"]

    /// Reads `environment`, after filling in values from `envFile` that the environment does not set.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, envFile: String? = nil) throws(ConfigurationError) {
        var env = environment
        if let envFile {
            for (key, value) in try Self.readEnvFile(envFile) where env[key] == nil { env[key] = value }
        }
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let secrets = Self.secretValues(in: env)
        KnownSecrets.add(secrets)
        func fail(_ name: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(variable: name, problem: Self.redacting(secrets, in: problem))
        }
        func shown(_ name: String, _ raw: String) -> String {
            guard !Self.secretNames.contains(name) else { return "" }
            // One line, bounded: a value that swallowed other lines (a broken file) is not echoed whole.
            let firstLine = raw.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
            let cut = firstLine.count > 60 ? String(firstLine.prefix(60)) + "…" : firstLine
            return " (got '\(cut)')"
        }
        func integer(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let n = Int(raw), range.contains(n) else {
                throw fail(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)\(shown(name, raw))")
            }
            return n
        }
        func boolean(_ name: String) throws(ConfigurationError) -> Bool? {
            guard let raw = value(name) else { return nil }
            switch raw.lowercased() {
            case "true", "1", "yes", "on", "y", "t": return true
            case "false", "0", "no", "off", "n", "f": return false
            default: throw fail(name, "must be a boolean: True/False, 1/0, yes/no, true/false\(shown(name, raw))")
            }
        }
        func redis(_ name: String, default fallback: String) throws(ConfigurationError) -> RedisURL {
            let raw = value(name) ?? fallback
            do { return try RedisURL(raw) } catch { throw fail(name, "is not a valid Redis URL: \(error.message)") }
        }
        func httpURL(_ name: String) throws(ConfigurationError) -> String? {
            guard let raw = value(name) else { return nil }
            guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host != nil else {
                throw fail(name, "must be an http(s) URL\(shown(name, raw))")
            }
            return raw
        }

        brokerURL = try redis("BROKER_URL", default: "redis://127.0.0.1:6379/0")
        cacheURL = try redis("CACHE_URL", default: "redis://127.0.0.1:6379/1")
        if value("CELERY_RESULT_BACKEND") != nil { resultBackendURL = try redis("CELERY_RESULT_BACKEND", default: "") }

        if let raw = value("DISCORD_GUILD_ID") {
            guard let id = UInt64(raw), id > 0 else { throw fail("DISCORD_GUILD_ID", "must be a Discord snowflake (digits only)\(shown("DISCORD_GUILD_ID", raw))") }
            guildID = id
        }
        if let raw = value("DISCORD_BOT_TOKEN") {
            let token = raw.hasPrefix("Bot ") ? String(raw.dropFirst(4)) : raw
            guard !token.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw fail("DISCORD_BOT_TOKEN", "must not contain spaces or line breaks")
            }
            botToken = Secret(token)
        }
        appID = value("DISCORD_APP_ID")
        if let raw = appID, UInt64(raw) == nil { throw fail("DISCORD_APP_ID", "must be the application's numeric id\(shown("DISCORD_APP_ID", raw))") }
        appSecret = value("DISCORD_APP_SECRET").map { Secret($0) }
        callbackURL = try httpURL("DISCORD_CALLBACK_URL")
        syncNames = try boolean("DISCORD_SYNC_NAMES") ?? false
        rolesCacheMaxAgeMilliseconds = try integer("DISCORD_ROLES_CACHE_MAX_AGE", 0...Int(Int32.max)) ?? rolesCacheMaxAgeMilliseconds
        retryPauseSeconds = try integer("DISCORD_TASKS_RETRY_PAUSE", 0...86_400) ?? retryPauseSeconds
        maxRetries = try integer("DISCORD_TASKS_MAX_RETRIES", 0...1000) ?? maxRetries
        if var base = try httpURL("DISCORD_API_BASE_URL") {
            if !base.hasSuffix("/") { base += "/" }
            apiBaseURL = base
        }
        oauthBaseURL = try httpURL("DISCORD_OAUTH_BASE_URL") ?? oauthBaseURL
        oauthTokenURL = try httpURL("DISCORD_OAUTH_TOKEN_URL") ?? oauthTokenURL
        guildNameCacheMaxAgeSeconds = try integer("DISCORD_GUILD_NAME_CACHE_MAX_AGE", 0...Int(Int32.max)) ?? guildNameCacheMaxAgeSeconds
        disableRoleCreation = try boolean("DISCORD_DISABLE_ROLE_CREATION") ?? false
        if let raw = value("DISCORD_API_TIMEOUT") {
            // AA's one setting bounds both; "(5, 30)" / "5,30" set connect and read separately.
            let parts = raw.trimmingCharacters(in: CharacterSet(charactersIn: "()[] ")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let numbers = parts.compactMap(Double.init)
            guard numbers.count == parts.count, (1...2).contains(numbers.count), numbers.allSatisfy({ $0 > 0 && $0 <= 600 }) else {
                throw fail("DISCORD_API_TIMEOUT", "must be seconds (e.g. 30) or connect,read (e.g. 5,30), each from 0 to 600 (got '\(raw)')")
            }
            connectTimeoutSeconds = numbers[0]
            readTimeoutSeconds = numbers.count == 2 ? numbers[1] : numbers[0]
        }
        if let raw = value("DATABASE_URL") {
            guard raw.hasPrefix("sqlite://") || raw.hasPrefix("mysql://") || raw.hasPrefix("mariadb://") else {
                throw fail("DATABASE_URL", "must be sqlite:///relative.db, sqlite:////absolute.db or mysql://user:pass@host:3306/name")
            }
            databaseURL = raw
        }
        if let raw = value("DISCORD_WORKER_QUEUES") {
            let names = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty, names.allSatisfy({ !$0.contains("\u{06}\u{16}") }) else {
                throw fail("DISCORD_WORKER_QUEUES", "must be comma-separated queue names (got '\(raw)')")
            }
            queues = names
        }
        concurrency = try integer("DISCORD_WORKER_CONCURRENCY", 1...512) ?? concurrency
        databasePoolSize = try integer("DISCORD_WORKER_DB_POOL", 1...256) ?? databasePoolSize
        leaseSeconds = try integer("DISCORD_WORKER_LEASE_SECONDS", 2...3600) ?? leaseSeconds
        if let raw = value("DISCORD_WORKER_FOREIGN_TASKS") {
            guard let setting = ForeignTasks(setting: raw) else {
                throw fail("DISCORD_WORKER_FOREIGN_TASKS", "must be forward:QUEUE (e.g. forward:celery) or dead-letter\(shown("DISCORD_WORKER_FOREIGN_TASKS", raw))")
            }
            foreignTasks = setting
        }
        interactiveSharePercent = try integer("DISCORD_WORKER_INTERACTIVE_SHARE", 0...100) ?? interactiveSharePercent
        if let raw = value("DISCORD_WORKER_LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(raw.lowercased()) else { throw fail("DISCORD_WORKER_LOG_LEVEL", "must be one of \(levels.joined(separator: ", ")) (got '\(raw)')") }
            logLevel = raw.lowercased()
        }
        if let raw = value("DISCORD_WORKER_HTTP_ADDRESS") {
            guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]), (0...65_535).contains(port) else {
                throw fail("DISCORD_WORKER_HTTP_ADDRESS", "must be host:port, e.g. 127.0.0.1:9808 or 0.0.0.0:9808 (got '\(raw)')")
            }
            httpAddress = raw
        }
        if let raw = value("DISCORD_WORKER_LOG_FORMAT") {
            guard ["text", "json"].contains(raw.lowercased()) else {
                throw fail("DISCORD_WORKER_LOG_FORMAT", "must be text or json (got '\(raw)')")
            }
            logFormat = raw.lowercased()
        }
        if let raw = value("DISCORD_WORKER_NODE_NAME") {
            guard raw.contains("@"), !raw.hasPrefix("@"), !raw.hasSuffix("@"), !raw.contains(where: { $0.isWhitespace }) else {
                throw fail("DISCORD_WORKER_NODE_NAME", "must be a Celery node name like name@host (got '\(raw)')")
            }
            nodeName = raw
        }
        sendEvents = try boolean("DISCORD_WORKER_SEND_EVENTS") ?? false
        dashboardTaskStatisticsDisabled = try boolean("ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED") ?? false
    }

    /// Reads an env file (see `EnvFile`: CRLF, quotes, `export`, comments). Errors name the line, never its text.
    static func readEnvFile(_ path: String) throws(ConfigurationError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(variable: "--env-file", problem: "cannot read '\(path)'")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(variable: "--env-file", problem: "'\(path)' is not UTF-8 text")
        }
        do {
            return try EnvFile(parsing: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text).values
        } catch {
            throw ConfigurationError(variable: "--env-file", problem: "line \(error.line) of '\(path)' \(error.problem)")
        }
    }

    /// Settings whose value may contain a password (redacted from every message).
    static let urlNames = ["BROKER_URL", "CACHE_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL"]

    /// The secret values in `env`: the bot token, the app secret and the passwords inside the URLs.
    static func secretValues(in env: [String: String]) -> [String] {
        var found: [String] = []
        for name in secretNames {
            guard let v = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { continue }
            found.append(v)
            if v.hasPrefix("Bot ") { found.append(String(v.dropFirst(4))) }
        }
        for name in urlNames {
            guard let url = env[name] else { continue }
            found += urlPasswords(url)
        }
        // Longest first, so a secret containing another is redacted whole; very short ones would redact noise.
        return Array(Set(found.filter { $0.count >= 3 })).sorted { $0.count > $1.count }
    }

    /// `scheme://user:PASSWORD@host…` (or `scheme://PASSWORD@host`) and `?password=…`, raw and percent-decoded.
    static func urlPasswords(_ url: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = url.range(of: "://") {
            let rest = url[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@") {
                let credentials = authority[..<at]
                let password = credentials.firstIndex(of: ":").map { credentials[credentials.index(after: $0)...] } ?? credentials
                if !password.isEmpty { found.append(String(password)) }
            }
        }
        if let q = url.firstIndex(of: "?") {
            for pair in url[url.index(after: q)...].split(separator: "&") where pair.hasPrefix("password=") {
                found.append(String(pair.dropFirst("password=".count)))
            }
        }
        return found + found.compactMap { $0.removingPercentEncoding }
    }

    /// `text` with every secret replaced by `***`.
    /// (`KnownSecrets` applies the same to every error line the process prints.)
    static func redacting(_ secrets: [String], in text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// Requires the settings needed to talk to Discord.
    public func requireDiscord() throws(ConfigurationError) -> (guild: UInt64, token: Secret) {
        guard let guildID else { throw ConfigurationError(variable: "DISCORD_GUILD_ID", problem: "is not set") }
        guard let botToken else { throw ConfigurationError(variable: "DISCORD_BOT_TOKEN", problem: "is not set") }
        return (guildID, botToken)
    }
}

/// Secret values seen by any `Configuration` of this process; `RootCommand.runMain` redacts them from
/// every error line it prints (a last line of defence for messages built from other errors).
enum KnownSecrets {
    private static let values = Mutex<[String]>([])

    static func add(_ secrets: [String]) {
        values.withLock { $0 = Array(Set($0 + secrets)).sorted { $0.count > $1.count } }
    }

    static func redact(_ text: String) -> String {
        Configuration.redacting(values.withLock { $0 }, in: text)
    }
}

