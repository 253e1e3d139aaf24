/// A failed Discord API call: what went wrong (`code`), where (`route`), Discord's answer (`status`,
/// `discordCode`, `message`). Messages never contain the bot token, client secret or OAuth tokens.
public struct DiscordAPIError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// 404 + 10007 Unknown Member (normally mapped to a result, not thrown).
        case notAMember
        /// 403 + 50013: permission or role hierarchy.
        case missingPermissions
        /// 403 + 50001: e.g. listing members without the GUILD_MEMBERS intent.
        case missingAccess
        /// 404 + 10011 Unknown Role.
        case unknownRole
        /// 404 + 10004 Unknown Guild.
        case unknownGuild
        /// 400 + 30005: the guild has 250 roles.
        case maxRoles
        /// 400 + 50035 Invalid Form Body.
        case invalidFormBody
        /// 401: the bot token is wrong or revoked (names DISCORD_BOT_TOKEN, never its value). Every
        /// further call from any process fails with this code until the token changes.
        case unauthorized
        /// 401 on a Bearer call or 50025: the user's OAuth2 access token is invalid or expired.
        case invalidOAuthToken
        /// A wait for Discord's rate limits would exceed the caller's limit; see `retryAfter`.
        case rateLimited
        /// HTTP 5xx.
        case server
        /// No response within the configured time (the request may or may not have been applied).
        case timeout
        /// Connection failure or another transport error.
        case network
        /// An HTML or text page (e.g. Cloudflare) instead of Discord's JSON.
        case nonJSON
        /// A 2xx JSON answer that does not have the expected shape.
        case unexpectedResponse
        /// OAuth2: `redirect_uri` differs from the one used to authorize (DISCORD_CALLBACK_URL).
        case oauthRedirectMismatch
        /// OAuth2: the authorization code is invalid, expired or already used.
        case oauthInvalidCode
        /// OAuth2: the client id or secret is wrong (DISCORD_APP_ID / DISCORD_APP_SECRET).
        case oauthInvalidClient
        /// Too many invalid requests (401/403/429) in the last 10 minutes across all processes:
        /// calls fail fast until the window has room again (see `retryAfter`).
        case invalidRequestBudget
        /// The shared rate-limit state in Redis is unreachable.
        case rateLimiterUnavailable
        /// The request could not be built (bad URL or argument).
        case invalidRequest
        /// The calling task was cancelled (the request may or may not have been sent).
        case cancelled
        /// Anything else: HTTP status and Discord's JSON code (nil when absent).
        case other(status: Int, code: Int?)
    }

    public var code: Code
    /// `METHOD /template`, e.g. `PATCH /guilds/:id/members/:id`.
    public var route: String
    public var status: Int?
    /// Discord's JSON error code.
    public var discordCode: Int?
    public var message: String
    /// For `.rateLimited` and `.invalidRequestBudget`: when a new attempt can succeed.
    public var retryAfter: Duration?

    public init(_ code: Code, route: String, status: Int? = nil, discordCode: Int? = nil, message: String, retryAfter: Duration? = nil) {
        self.code = code
        self.route = route
        self.status = status
        self.discordCode = discordCode
        self.message = message
        self.retryAfter = retryAfter
    }

    /// Worth retrying later with the same input: 5xx, timeouts, network errors, non-JSON pages and an
    /// unreachable rate-limit store. Rate-limit waits are reported through `retryAfter` instead.
    public var isRetryable: Bool {
        switch code {
        case .server, .timeout, .network, .nonJSON, .rateLimiterUnavailable: true
        default: false
        }
    }

    public var description: String {
        var parts = ["DiscordAPIError.\(code)", route]
        if let status { parts.append("HTTP \(status)") }
        if let discordCode { parts.append("code \(discordCode)") }
        if let retryAfter { parts.append("retry after \(retryAfter)") }
        return parts.joined(separator: " ") + ": " + message
    }
}

extension DiscordAPIError.Code {
    /// Maps an HTTP status and Discord code to the error code, for a response that is not a success.
    static func from(status: Int, discordCode: Int?) -> DiscordAPIError.Code {
        switch (status, discordCode) {
        case (_, 10007?): .notAMember
        case (_, 50013?): .missingPermissions
        case (_, 50001?): .missingAccess
        case (_, 10011?): .unknownRole
        case (_, 10004?): .unknownGuild
        case (_, 30005?): .maxRoles
        case (_, 50035?): .invalidFormBody
        case (_, 50025?): .invalidOAuthToken
        case (401, _): .unauthorized
        case (500...599, _): .server
        default: .other(status: status, code: discordCode)
        }
    }
}
