/// One Discord API route as the rate limiter sees it: a template with ids replaced by `:id`
/// (`PATCH /guilds/:id/members/:id`), the major parameter (the guild id: every guild has its own
/// copy of a bucket), and a conservative default limit used until the real bucket is learned.
public struct DiscordRoute: Sendable, Hashable, CustomStringConvertible {
    public enum Method: String, Sendable, Hashable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"
    }

    public let method: Method
    /// Path below the API base, without leading slash or query: `guilds/1/members/2`.
    public let path: String
    /// `/guilds/:id/members/:id`.
    public let template: String
    /// The major parameter's value (guild, channel or webhook id), "" when the route has none.
    public let majorID: String
    /// Default-bucket name: routes Discord is known to bucket together share one (role PUT/DELETE).
    public let group: String
    /// Conservative limit before the bucket is learned; nil = only the global limit applies.
    public let seed: RateLimitWindow?

    /// `PATCH /guilds/:id/members/:id`: the name used in errors, logs and Redis keys.
    public var name: String { "\(method.rawValue) \(template)" }
    public var description: String { name }

    public init(_ method: Method, _ path: String) {
        let trimmed = path.drop(while: { $0 == "/" })
        let clean = String(trimmed.prefix(while: { $0 != "?" && $0 != "#" }))
        self.method = method
        self.path = clean
        let (template, major) = Self.templateAndMajor(clean)
        self.template = template
        self.majorID = major
        let name = "\(method.rawValue) \(template)"
        if let known = Self.seeds[name] {
            group = known.group
            seed = known.window
        } else {
            group = name
            seed = nil
        }
    }

    /// Replaces every all-digit segment with `:id`; the id after `guilds`, `channels` or `webhooks`
    /// in first position is the major parameter.
    static func templateAndMajor(_ path: String) -> (template: String, major: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var major = ""
        if segments.count >= 2, ["guilds", "channels", "webhooks"].contains(segments[0]), Snowflake(String(segments[1])) != nil {
            major = String(segments[1])
        }
        let template = segments.map { segment -> String in
            Snowflake(String(segment)) != nil ? ":id" : String(segment)
        }
        return ("/" + template.joined(separator: "/"), major)
    }

    /// Observed per-guild limits (none is documented by Discord; Alliance Auth's rate-limit notes and hata's
    /// `rate_limit_groups.py` agree on them): a starting point, replaced by the headers.
    static let seeds: [String: (group: String, window: RateLimitWindow)] = [
        "GET /guilds/:id/members/:id": ("get-member", RateLimitWindow(limit: 5, window: .seconds(1))),
        "PATCH /guilds/:id/members/:id": ("modify-member", RateLimitWindow(limit: 10, window: .seconds(10))),
        "PUT /guilds/:id/members/:id/roles/:id": ("member-role", RateLimitWindow(limit: 10, window: .seconds(10))),
        "DELETE /guilds/:id/members/:id/roles/:id": ("member-role", RateLimitWindow(limit: 10, window: .seconds(10))),
        "GET /guilds/:id/members": ("list-members", RateLimitWindow(limit: 10, window: .seconds(10))),
        "DELETE /guilds/:id/members/:id": ("kick-member", RateLimitWindow(limit: 5, window: .seconds(1))),
        "PUT /guilds/:id/members/:id": ("add-member", RateLimitWindow(limit: 10, window: .seconds(10))),
        "POST /guilds/:id/roles": ("create-role", RateLimitWindow(limit: 250, window: .seconds(172_800))),
        "PATCH /guilds/:id/roles/:id": ("modify-role", RateLimitWindow(limit: 1000, window: .seconds(86_400))),
    ]

    // The routes the client uses.
    static func getMember(_ guild: Snowflake, _ user: Snowflake) -> DiscordRoute { .init(.get, "guilds/\(guild)/members/\(user)") }
    static func listMembers(_ guild: Snowflake) -> DiscordRoute { .init(.get, "guilds/\(guild)/members") }
    static func addMember(_ guild: Snowflake, _ user: Snowflake) -> DiscordRoute { .init(.put, "guilds/\(guild)/members/\(user)") }
    static func modifyMember(_ guild: Snowflake, _ user: Snowflake) -> DiscordRoute { .init(.patch, "guilds/\(guild)/members/\(user)") }
    static func removeMember(_ guild: Snowflake, _ user: Snowflake) -> DiscordRoute { .init(.delete, "guilds/\(guild)/members/\(user)") }
    static func addMemberRole(_ guild: Snowflake, _ user: Snowflake, _ role: Snowflake) -> DiscordRoute {
        .init(.put, "guilds/\(guild)/members/\(user)/roles/\(role)")
    }
    static func removeMemberRole(_ guild: Snowflake, _ user: Snowflake, _ role: Snowflake) -> DiscordRoute {
        .init(.delete, "guilds/\(guild)/members/\(user)/roles/\(role)")
    }
    static func getRoles(_ guild: Snowflake) -> DiscordRoute { .init(.get, "guilds/\(guild)/roles") }
    static func createRole(_ guild: Snowflake) -> DiscordRoute { .init(.post, "guilds/\(guild)/roles") }
    static func getGuild(_ guild: Snowflake) -> DiscordRoute { .init(.get, "guilds/\(guild)") }
    static let currentUser = DiscordRoute(.get, "users/@me")
    static let oauthToken = DiscordRoute(.post, "oauth2/token")
}
