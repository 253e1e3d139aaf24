import CurlHTTP
import DiscordAPI
import Foundation
import Logging
import RedisClient

/// `discord-worker check`: verifies the configuration against Discord and explains each failure with its fix.
enum DiscordCheck {
    static let manageRoles: UInt64 = 1 << 28
    static let manageNicknames: UInt64 = 1 << 27
    static let kickMembers: UInt64 = 1 << 1
    static let createInvite: UInt64 = 1 << 0
    static let administrator: UInt64 = 1 << 3

    static func run(configuration config: Configuration) async throws {
        let (guildID, token) = try config.requireDiscord()
        let guild = Snowflake(guildID)

        // 0. What the worker needs besides Discord, each failure naming its own variable; then settings.
        let services = await ServiceChecks.redisServers(config) + [await ServiceChecks.databaseOpens(config)]
        let settings = ServiceChecks.settings(config)
        for line in services + settings { print(line.rendered) }
        var failures = (services + settings).filter { $0.level == .fail }.count
        if services.contains(where: { $0.level == .fail && $0.text.hasPrefix("CACHE_URL") }) {
            // The Discord client paces itself through the rate-limit state in CACHE_URL's Redis.
            throw CommandFailure(message: "check: \(failures) problem(s); Discord not checked (it needs CACHE_URL)")
        }

        // The shared rate limiter lives where the worker's is: CACHE_URL.
        let redis = RedisClient(url: config.cacheURL, name: "check")
        var logger = Logger(label: "discord-worker.check")
        logger.logLevel = .critical
        let client = DiscordClient(options: DiscordClientOptions(
            botToken: token, apiBaseURL: config.apiBaseURL, oauthTokenURL: config.oauthTokenURL,
            connectTimeout: .milliseconds(Int(config.connectTimeoutSeconds * 1000)),
            readTimeout: .milliseconds(Int(config.readTimeoutSeconds * 1000))), redis: redis, logger: logger)
        do {
            try await checks(client: client, guild: guild, guildID: guildID, configuration: config, failures: &failures)
        } catch {
            await client.shutdown()
            await redis.close()
            throw error
        }
        await client.shutdown()
        await redis.close()
        if failures > 0 { throw CommandFailure(message: "check: \(failures) problem(s)") }
        print("check: all good")
    }

    /// Steps 1 to 5 and AA's database; each failure counts in `failures`.
    private static func checks(client: DiscordClient, guild: Snowflake, guildID: UInt64, configuration config: Configuration,
                               failures: inout Int) async throws {
        var problems = failures
        defer { failures = problems }
        func ok(_ text: String) { print("ok    \(text)") }
        func warn(_ text: String) { print("warn  \(text)") }
        func fail(_ text: String, fix: String) { problems += 1; print("FAIL  \(text)\n      fix: \(fix)") }

        // 1. Token
        let bot: DiscordUser
        do {
            bot = try await client.currentBotUser()
            ok("DISCORD_BOT_TOKEN is valid (bot \(bot.username), id \(bot.id))")
        } catch {
            if error.code == .unauthorized {
                fail("DISCORD_BOT_TOKEN is not accepted by Discord (401)",
                     fix: "Developer Portal → your application → Bot → Reset Token, then set DISCORD_BOT_TOKEN to the new token")
            } else {
                fail("cannot reach the Discord API at \(config.apiBaseURL): \(error)",
                     fix: "check DISCORD_API_BASE_URL, outbound HTTPS and DNS from this host")
            }
            throw CommandFailure(message: "check: \(problems) problem(s)")
        }

        // 2. Guild
        let guildInfo: Guild
        do {
            guildInfo = try await client.getGuild(guild: guild)
            ok("guild \(guildID) reachable: \(guildInfo.name)")
        } catch {
            fail("guild \(guildID) is not reachable by the bot: \(error)",
                 fix: "check DISCORD_GUILD_ID, and add the bot to the server with the URL from `discord-worker bot-url`")
            throw CommandFailure(message: "check: \(problems) problem(s)")
        }

        // 3. Bot role position and permissions
        let roles = guildInfo.roles.isEmpty ? ((try? await client.getRoles(guild: guild)) ?? []) : guildInfo.roles
        if let member = try? await client.getMember(guild: guild, user: bot.id) {
            let mine = roles.filter { member.roles.contains($0.id) }
            let everyone = roles.first { $0.id == guild }
            let permissions = (mine + [everyone].compactMap { $0 }).reduce(UInt64(0)) { $0 | $1.permissionBits }
            let top = mine.max { ($0.position, $0.id.rawValue) < ($1.position, $1.id.rawValue) }
            if permissions & administrator != 0 {
                ok("bot has ADMINISTRATOR (it still cannot manage roles above its own top role)")
            } else {
                let missing = [(manageRoles, "MANAGE_ROLES"), (manageNicknames, "MANAGE_NICKNAMES"), (kickMembers, "KICK_MEMBERS"),
                               (createInvite, "CREATE_INSTANT_INVITE")].filter { permissions & $0.0 == 0 }.map(\.1)
                if missing.isEmpty { ok("bot has MANAGE_ROLES, MANAGE_NICKNAMES, KICK_MEMBERS, CREATE_INSTANT_INVITE") } else {
                    fail("bot lacks \(missing.joined(separator: ", "))",
                         fix: "Server Settings → Roles → \(top?.name ?? "the bot's role") → enable those permissions (or re-add the bot with `discord-worker bot-url`)")
                }
            }
            if let top {
                let above = roles.filter { $0.id != guild && !$0.managed && ($0.position, $0.id.rawValue) >= (top.position, top.id.rawValue) && $0.id != top.id }
                if above.isEmpty {
                    ok("bot's top role '\(top.name)' is above every role it may have to assign")
                } else {
                    let names = above.sorted { $0.position > $1.position }.prefix(10).map { "'\($0.name)'" }.joined(separator: ", ")
                    warn("roles at or above the bot's top role '\(top.name)' are never synced: \(names)\n      fix: Server Settings → Roles → drag '\(top.name)' above them")
                }
            } else {
                fail("the bot has no role in the guild", fix: "re-add the bot with `discord-worker bot-url` so it gets its own role")
            }
        } else {
            fail("cannot read the bot's own member in the guild", fix: "add the bot to the server with `discord-worker bot-url`")
        }
        if guildInfo.mfaLevel == 1 {
            warn("the guild requires 2FA for moderation: the bot owner's account (every team member for team apps) must have 2FA, or role changes fail with 60003")
        }

        // 4. GUILD_MEMBERS intent
        do {
            _ = try await client.listMembers(guild: guild, limit: 1)
            ok("SERVER MEMBERS intent enabled: bulk syncs list members 1,000 at a time")
        } catch {
            if error.code == .missingAccess {
                warn("SERVER MEMBERS intent is off: bulk syncs fall back to one read per member (much slower)\n      fix: Developer Portal → Bot → Privileged Gateway Intents → enable SERVER MEMBERS INTENT")
            } else {
                fail("listing members failed: \(error)", fix: "see the error; the bot needs to be in the guild")
            }
        }

        // 5. Role budget
        let count = roles.count
        if count >= 250 {
            fail("the guild has \(count) of 250 roles: no role can be created", fix: "delete unused roles, or set DISCORD_DISABLE_ROLE_CREATION=True")
        } else if count >= 200 {
            warn("the guild has \(count) of 250 roles; Discord also allows only about 250 role creations per 48 h")
        } else {
            ok("\(count) of 250 roles used\(config.disableRoleCreation ? " (role creation disabled)" : "")")
        }

        await DatabaseCheck.run(configuration: config, ok: ok, warn: warn, fail: { fail($0, fix: $1) })
    }
}
