// discord-sandbox: the Discord API sandbox as a standalone server.
// Prints one line "discord-sandbox listening on http://HOST:PORT" (flushed) once ready;
// stops cleanly on SIGINT/SIGTERM.

import ArgumentParser
import DiscordSandbox
import Dispatch
import Foundation
import Logging

@main
struct DiscordSandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discord-sandbox",
        abstract: "A stateful Discord API (v10) sandbox with Discord-like rate limits and fault injection.",
        discussion: """
            Admin endpoints: GET /_sandbox/health, GET /_sandbox/stats, POST /_sandbox/stats/reset,
            GET|PUT /_sandbox/state, GET|POST /_sandbox/faults, POST /_sandbox/limits/reset, GET /_sandbox/requests,
            POST /_sandbox/oauth/codes, POST /_sandbox/oauth/tokens, GET /_sandbox/members/{id}.
            """)

    enum Profile: String, ExpressibleByArgument, CaseIterable {
        case discord, unlimited
    }

    @Option(help: "Address to bind (loopback).")
    var host = "127.0.0.1"

    @Option(help: "TCP port; 0 picks an ephemeral one.")
    var port = 8976

    @Option(help: "Rate-limit profile: discord (Discord-like limits, global 50/s) or unlimited.")
    var profile: Profile = .discord

    @Option(name: .customLong("route-limit"), help: ArgumentHelp(
        "Override a bucket's limit, BUCKET=LIMIT/SECONDS[/fixed] (repeatable; sliding window unless /fixed). Buckets: \(SandboxBucket.allCases.map(\.rawValue).joined(separator: ", ")).",
        valueName: "bucket=limit/seconds[/fixed]"))
    var routeLimits: [String] = []

    @Option(name: .customLong("global-limit"), help: ArgumentHelp("Global limit LIMIT/SECONDS.", valueName: "limit/seconds"))
    var globalLimit: String?

    @Option(name: .customLong("latency-ms"), help: "Latency added to every API response, in milliseconds.")
    var latencyMilliseconds = 0

    @Option(name: .customLong("latency-jitter-ms"), help: "Random extra latency 0...N ms.")
    var latencyJitterMilliseconds = 0

    @Option(name: .customLong("bot-token"), help: "The bot token the API accepts (default: $SANDBOX_BOT_TOKEN or sandbox-bot-token).")
    var botToken: String?

    @Option(name: .customLong("guild-id"), help: "The guild's id.")
    var guildID: UInt64 = SandboxConfiguration().guildID

    @Option(help: ArgumentHelp("Seed the guild from a JSON file (SandboxSeed, as GET /_sandbox/state returns).", valueName: "file"))
    var seed: String?

    @Option(help: "Generate a guild with N members (ignored with --seed).")
    var members = 10

    @Flag(name: .customLong("no-members-intent"), help: "The application lacks the GUILD_MEMBERS intent (List Guild Members answers 403 50001).")
    var noMembersIntent = false

    @Option(name: .customLong("server-error-rate"), help: "Fraction 0...1 of API requests answered 500/502.")
    var serverErrorRate = 0.0

    @Flag(name: .customLong("server-error-html"), help: "Answer injected server errors with a Cloudflare HTML page.")
    var serverErrorHTML = false

    @Option(name: .customLong("oauth-client-id"), help: "OAuth2 client id.")
    var oauthClientID = SandboxOAuthApplication().clientID

    @Option(name: .customLong("oauth-client-secret"), help: "OAuth2 client secret (default: $SANDBOX_OAUTH_CLIENT_SECRET or the built-in one).")
    var oauthClientSecret: String?

    @Option(name: .customLong("redirect-uri"), help: "The registered OAuth2 redirect URI.")
    var redirectURI = SandboxOAuthApplication().redirectURI

    @Option(name: .customLong("request-log"), help: "Keep the last N API requests for GET /_sandbox/requests (0 = off).")
    var requestLog = 0

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel = "warning"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard (0...1).contains(serverErrorRate) else { throw ValidationError("--server-error-rate must be 0...1") }
        guard latencyMilliseconds >= 0, latencyJitterMilliseconds >= 0 else { throw ValidationError("latency must be >= 0") }
        guard members >= 0 else { throw ValidationError("--members must be >= 0") }
        guard requestLog >= 0 else { throw ValidationError("--request-log must be >= 0") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        _ = try parsedRouteLimits()
        if let globalLimit { _ = try Self.parseRule(globalLimit, option: "--global-limit") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "discord-sandbox")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning

        let seedValue: SandboxSeed
        if let seed {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: seed))
            } catch {
                throw ValidationError("cannot read --seed \(seed): \(error.localizedDescription)")
            }
            do {
                seedValue = try JSONDecoder().decode(SandboxSeed.self, from: data)
            } catch {
                throw ValidationError("--seed \(seed) is not a valid seed: \(error)")
            }
        } else {
            seedValue = .generated(memberCount: members)
        }

        let configuration = SandboxConfiguration(
            host: host,
            port: port,
            botToken: botToken ?? environment["SANDBOX_BOT_TOKEN"] ?? SandboxConfiguration().botToken,
            guildID: guildID,
            profile: profile == .discord ? .discordLike : .unlimited,
            routeLimits: try parsedRouteLimits(),
            globalLimit: try globalLimit.map { try Self.parseRule($0, option: "--global-limit") },
            latency: .milliseconds(latencyMilliseconds, jitter: latencyJitterMilliseconds),
            membersIntent: !noMembersIntent,
            oauth: SandboxOAuthApplication(
                clientID: oauthClientID,
                clientSecret: oauthClientSecret ?? environment["SANDBOX_OAUTH_CLIENT_SECRET"] ?? SandboxOAuthApplication().clientSecret,
                redirectURI: redirectURI),
            faults: SandboxFaults(serverErrorRate: serverErrorRate, serverErrorHTML: serverErrorHTML),
            requestLogLimit: requestLog,
            logger: logger)

        let stop = SignalWaiter(signals: [SIGINT, SIGTERM])
        let server = try await SandboxServer.start(configuration: configuration, seed: seedValue)
        // Written straight to fd 1 (unbuffered): scripts wait for this line.
        FileHandle.standardOutput.write(Data("discord-sandbox listening on http://\(server.host):\(server.port)\n".utf8))
        let signal = await stop.wait()
        logger.notice("stopping", metadata: ["signal": "\(signal)"])
        await server.shutdown()
    }

    private func parsedRouteLimits() throws -> [SandboxBucket: RateLimitRule] {
        var result: [SandboxBucket: RateLimitRule] = [:]
        for item in routeLimits {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let bucket = SandboxBucket(rawValue: String(parts[0])) else {
                throw ValidationError("--route-limit \(item): expected BUCKET=LIMIT/SECONDS with a known bucket")
            }
            result[bucket] = try Self.parseRule(String(parts[1]), option: "--route-limit")
        }
        return result
    }

    static func parseRule(_ text: String, option: String) throws -> RateLimitRule {
        let parts = text.split(separator: "/")
        guard parts.count == 2 || (parts.count == 3 && parts[2] == "fixed"),
            let limit = Int(parts[0]), limit > 0, let seconds = Double(parts[1]), seconds > 0, seconds < 1e9
        else {
            throw ValidationError("\(option) \(text): expected LIMIT/SECONDS[/fixed], e.g. 10/10")
        }
        return RateLimitRule(
            limit: limit, window: .milliseconds(Int64((seconds * 1000).rounded())), kind: parts.count == 3 ? .fixed : .sliding)
    }
}

/// Waits for the first of some signals (the default handlers are disabled so the process can stop cleanly).
final class SignalWaiter {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        var sources: [any DispatchSourceSignal] = []
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func wait() async -> Int32 {
        for await number in stream {
            for source in sources { source.cancel() }
            return number
        }
        return 0
    }
}
