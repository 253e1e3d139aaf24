import Foundation
import HostDatabase
import Logging
import RedisClient

/// One line of `discord-worker check`.
struct CheckLine: Equatable {
    enum Level: Equatable { case ok, warn, fail }
    var level: Level
    var text: String
    var fix: String?

    static func ok(_ text: String) -> CheckLine { CheckLine(level: .ok, text: text) }
    static func warn(_ text: String, fix: String? = nil) -> CheckLine { CheckLine(level: .warn, text: text, fix: fix) }
    static func fail(_ text: String, fix: String) -> CheckLine { CheckLine(level: .fail, text: text, fix: fix) }

    /// `ok    …` / `warn  …` / `FAIL  …` with the fix on the next line.
    var rendered: String {
        let head = switch level { case .ok: "ok    "; case .warn: "warn  "; case .fail: "FAIL  " }
        return head + text + (fix.map { "\n      fix: \($0)" } ?? "")
    }
}

/// `check`'s checks of what the worker needs besides Discord: each names its own variable.
enum ServiceChecks {
    /// BROKER_URL, CACHE_URL and (when set and different) CELERY_RESULT_BACKEND answer PING.
    static func redisServers(_ config: Configuration) async -> [CheckLine] {
        var lines = [await redis("BROKER_URL", config.brokerURL, role: "the Celery broker (AA's BROKER_URL)"),
                     await redis("CACHE_URL", config.cacheURL, role: "AA's cache: roles cache, celery_once locks, the shared Discord rate limiter")]
        if let results = config.resultBackendURL {
            lines.append(await redis("CELERY_RESULT_BACKEND", results, role: "the Celery result backend"))
        }
        return lines
    }

    static func redis(_ variable: String, _ url: RedisURL, role: String) async -> CheckLine {
        let client = RedisClient(url: url, name: "check-" + variable.lowercased(), connectTimeout: .seconds(3), socketTimeout: .seconds(3))
        let line: CheckLine
        do {
            let reply = try await client.command(["PING"])
            line = reply == .status("PONG") ? .ok("\(variable) reachable (\(url)): \(role)")
                : .fail("\(variable) (\(url)) answered PING with \(reply)", fix: "point \(variable) at a Redis server")
        } catch {
            line = .fail("\(variable) (\(url)) is not reachable: \(error)",
                         fix: "check host, port, database number and password in \(variable); it must be the same Redis AA uses")
        }
        await client.close()
        return line
    }

    /// DATABASE_URL opens and answers a query (the schema and data checks live with the database backends).
    static func databaseOpens(_ config: Configuration) async -> CheckLine {
        var logger = Logger(label: "discord-worker.check")
        logger.logLevel = .critical
        do {
            let url = try DatabaseURL(parsing: config.databaseURL)
            let database = try await HostDatabaseFactory.open(url, poolSize: 1, logger: logger)
            do { try await database.ping() } catch { await database.close(); throw error }
            await database.close()
            return .ok("DATABASE_URL opens and answers (\(url))")
        } catch {
            return .fail("DATABASE_URL cannot be opened or read: \(error)",
                         fix: "point DATABASE_URL at AA's database (sqlite:////absolute/path.db or mysql://user:pass@host:3306/name)")
        }
    }

    /// Settings that need no connection: units, the OAuth callback, the app credentials.
    static func settings(_ config: Configuration) -> [CheckLine] {
        var lines: [CheckLine] = []
        if config.rolesCacheMaxAgeMilliseconds < 60_000 {
            lines.append(.warn("DISCORD_ROLES_CACHE_MAX_AGE is \(config.rolesCacheMaxAgeMilliseconds): that is milliseconds here, and looks like AA 5.x's seconds",
                               fix: "multiply by 1000 (AA's default, 2 hours, is 7200000)"))
        }
        lines.append(callback(config.callbackURL))
        if config.appID == nil || config.appSecret == nil {
            lines.append(.warn("DISCORD_APP_ID / DISCORD_APP_SECRET not set: needed for bot-url, oauth-url and discord.add_user"))
        }
        return lines
    }

    /// The callback must equal a registered redirect byte for byte: compared on the text, trailing slash kept.
    static func callback(_ callback: String?) -> CheckLine {
        guard let callback, let components = URLComponents(string: callback) else {
            return .warn("DISCORD_CALLBACK_URL is not set: member linking (oauth-url, discord.add_user) needs it")
        }
        let host = components.host ?? ""
        let loopback = host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
        if components.scheme != "https" && !loopback {
            return .fail("DISCORD_CALLBACK_URL uses \(components.scheme ?? "no scheme"): Discord requires https for non-local redirects",
                         fix: "use https://<your auth host>/discord/callback/ and register exactly that URL in the Developer Portal → OAuth2 → Redirects")
        }
        if !components.percentEncodedPath.hasSuffix("/discord/callback/") {
            return .warn("DISCORD_CALLBACK_URL does not end with AA's /discord/callback/ (trailing slash included); it must equal, byte for byte, a redirect registered in the Developer Portal")
        }
        return .ok("DISCORD_CALLBACK_URL looks like AA's callback (it must be registered byte for byte in the Developer Portal)")
    }
}
