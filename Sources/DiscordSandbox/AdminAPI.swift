// Admin endpoints under /_sandbox/ (no auth, no latency, not counted in stats):
//   GET  /_sandbox/health                 {"status": "ok"}
//   GET  /_sandbox/stats                  SandboxStats as JSON
//   POST /_sandbox/stats/reset            zero the counters and clear the request log (204)
//   GET  /_sandbox/requests               the request log (SandboxRequestRecord array; see requestLogLimit)
//   GET  /_sandbox/state                  the guild as a seed (SandboxSeed JSON)
//   PUT  /_sandbox/state                  replace the guild with a seed (200 + the new state)
//   GET  /_sandbox/faults                 the faults in force (counts decrease as faults fire)
//   POST /_sandbox/faults                 replace the faults (SandboxFaults JSON, snake_case keys)
//   POST /_sandbox/limits/reset           forget every rate-limit window and forced block (204)
//   POST /_sandbox/oauth/codes            {"user": {...}, "scope"?, "redirect_uri"?} -> {"code": "..."}
//   POST /_sandbox/oauth/tokens           {"user": {...}, "scope"?} -> a token response (skips the code)
//   GET  /_sandbox/members/{id}           one member as Discord's member object (404 if absent)

import Foundation

extension SandboxEngine {
    func handleAdmin(_ segments: [Substring], _ request: SandboxRequest) -> SandboxReply {
        let path = segments.map(String.init)
        switch (request.method, path) {
        case ("GET", ["health"]):
            return SandboxReply(status: 200, json: .object([("status", .string("ok"))]))

        case ("GET", ["stats"]):
            return Self.encoded(withState { $0.stats })

        case ("POST", ["stats", "reset"]):
            resetStats()
            return SandboxReply(status: 204, contentType: nil)

        case ("GET", ["requests"]):
            return Self.encoded(withState { $0.requestLog })

        case ("GET", ["state"]):
            return Self.encoded(snapshot())

        case ("PUT", ["state"]):
            guard let seed = try? JSONDecoder().decode(SandboxSeed.self, from: Data(request.body)) else {
                return Self.badRequest("body must be a SandboxSeed JSON object")
            }
            replaceState(seed)
            return Self.encoded(snapshot())

        case ("GET", ["faults"]):
            return Self.encoded(withState { $0.faults })

        case ("POST", ["faults"]), ("PUT", ["faults"]):
            guard let faults = try? JSONDecoder().decode(SandboxFaults.self, from: Data(request.body)) else {
                return Self.badRequest("body must be a SandboxFaults JSON object")
            }
            setFaults(faults)
            return Self.encoded(faults)

        case ("POST", ["limits", "reset"]):
            resetLimits()
            return SandboxReply(status: 204, contentType: nil)

        case ("POST", ["oauth", "codes"]), ("POST", ["oauth", "tokens"]):
            guard let body = JSONValue.parse(request.body), let userValue = body["user"],
                let user = try? JSONDecoder().decode(SandboxUser.self, from: Data(JSONValueEncoding.encode(userValue)))
            else {
                return Self.badRequest("body must be {\"user\": {\"id\": …, \"username\": …}, \"scope\"?, \"redirect_uri\"?}")
            }
            let scope = body["scope"]?.stringValue ?? "identify guilds.join"
            if path == ["oauth", "codes"] {
                let redirect = body["redirect_uri"]?.stringValue ?? configuration.oauth.redirectURI
                let code = mintCode(user: user, scope: scope, redirectURI: redirect)
                return SandboxReply(status: 200, json: .object([("code", .string(code))]))
            }
            let token = issueAccessToken(user: user, scope: scope)
            return SandboxReply(status: 200, json: token.json)

        case ("GET", let parts) where parts.count == 2 && parts[0] == "members":
            guard let id = Snowflake.parse(parts[1]), let member = member(id) else {
                return SandboxReply(status: 404, json: APIError.unknownMember.json)
            }
            return SandboxReply(status: 200, json: member.json)

        default:
            return SandboxReply(status: 404, json: APIError.notFound.json)
        }
    }

    // MARK: Operations shared with the library API

    func snapshot() -> SandboxSeed { withState { $0.guild.snapshot } }

    func member(_ id: UInt64) -> SandboxMember? { withState { $0.guild.member(id) } }

    func replaceState(_ seed: SandboxSeed) {
        let guildID = configuration.guildID
        withState { $0.guild = GuildState(guildID: guildID, seed: seed) }
    }

    func setFaults(_ faults: SandboxFaults) {
        withState { $0.faults = faults }
    }

    func resetStats() {
        withState { state in
            let inFlight = state.stats.inFlight
            state.stats = SandboxStats()
            state.stats.inFlight = inFlight
            state.stats.peakConcurrency = inFlight
            state.requestLog.removeAll()
        }
    }

    /// Forgets every rate-limit window, forced block, the invalid-request count and a ban in force.
    func resetLimits() {
        let rule = configuration.effectiveGlobalLimit
        let ban = configuration.effectiveInvalidRequestBan
        withState { state in
            state.limiter = RateLimiterState(globalRule: rule)
            state.bannedUntil = nil
            state.invalidWindow = ban.map { SlidingWindow(rule: RateLimitRule(limit: $0.threshold, window: $0.window)) }
        }
    }

    func mintCode(user: SandboxUser, scope: String, redirectURI: String) -> String {
        withState { $0.oauth.mintCode(user: user, scope: scope, redirectURI: redirectURI) }
    }

    func issueAccessToken(user: SandboxUser, scope: String) -> SandboxOAuthToken {
        let monotonic = now().monotonic
        return withState { state in
            let issued = state.oauth.issueTokens(user: user, scope: scope, now: monotonic)
            return SandboxOAuthToken(
                accessToken: issued.access, refreshToken: issued.grant.refreshToken, scope: issued.grant.scope)
        }
    }

    // MARK: Helpers

    static func encoded<T: Encodable>(_ value: T) -> SandboxReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else {
            return SandboxReply(status: 500, json: .object([("message", .string("encoding failed"))]))
        }
        return SandboxReply(status: 200, rawBody: Array(data))
    }

    static func badRequest(_ message: String) -> SandboxReply {
        SandboxReply(status: 400, json: .object([("message", .string(message)), ("code", .int(0))]))
    }
}

/// A token issued by the sandbox's OAuth2 server.
public struct SandboxOAuthToken: Sendable, Hashable {
    public var accessToken: String
    public var refreshToken: String
    public var scope: String

    var json: JSONNode {
        .object([
            ("token_type", .string("Bearer")),
            ("access_token", .string(accessToken)),
            ("expires_in", .int(Int(OAuthState.tokenLifetime))),
            ("refresh_token", .string(refreshToken)),
            ("scope", .string(scope)),
        ])
    }
}

/// Re-serializes a parsed `JSONValue` (to hand a sub-object to `JSONDecoder`).
enum JSONValueEncoding {
    static func encode(_ value: JSONValue) -> [UInt8] { node(value).bytes }

    static func node(_ value: JSONValue) -> JSONNode {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .integer(let number): .rawNumber(String(number))
        case .unsigned(let number): .uint(number)
        case .double(let number): .rawNumber(number.isFinite ? "\(number)" : "0")
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(node))
        case .object(let pairs): .object(pairs.sorted { $0.key < $1.key }.map { ($0.key, node($0.value)) })
        }
    }
}
