// The API routes the sandbox implements, and path parsing (`/api/v{N}/…`, any N; v10 semantics).

import Foundation

/// An implemented API route. The raw value is the route template used in stats and faults.
public enum SandboxRoute: String, Sendable, Hashable, Codable, CaseIterable {
    case getGuild = "GET /guilds/{g}"
    case getRoles = "GET /guilds/{g}/roles"
    case createRole = "POST /guilds/{g}/roles"
    case listMembers = "GET /guilds/{g}/members"
    case getMember = "GET /guilds/{g}/members/{u}"
    case addMember = "PUT /guilds/{g}/members/{u}"
    case modifyMember = "PATCH /guilds/{g}/members/{u}"
    case kickMember = "DELETE /guilds/{g}/members/{u}"
    case addMemberRole = "PUT /guilds/{g}/members/{u}/roles/{r}"
    case removeMemberRole = "DELETE /guilds/{g}/members/{u}/roles/{r}"
    case getCurrentUser = "GET /users/@me"
    case oauthToken = "POST /oauth2/token"

    /// The per-route bucket, nil for routes limited only globally.
    public var bucket: SandboxBucket? {
        switch self {
        case .getMember: .getMember
        case .modifyMember: .modifyMember
        case .addMemberRole, .removeMemberRole: .memberRole
        case .listMembers: .listMembers
        case .kickMember: .kickMember
        case .addMember: .addMember
        case .createRole: .createRole
        case .getGuild, .getRoles, .getCurrentUser, .oauthToken: nil
        }
    }

    /// Whether the route needs `Authorization: Bot <token>`.
    var needsBotToken: Bool {
        switch self {
        case .getCurrentUser, .oauthToken: false
        default: true
        }
    }
}

/// A parsed API path: the route plus the raw path parameters.
struct MatchedRoute: Sendable, Equatable {
    var route: SandboxRoute
    var guild: Substring = ""
    var user: Substring = ""
    var role: Substring = ""
}

enum PathMatch: Equatable {
    case api(MatchedRoute)
    /// A known path with a method it does not support.
    case methodNotAllowed
    case admin([Substring])
    case notFound
}

enum RouteParser {
    /// Matches `method` + `path` (without the query string).
    static func match(method: String, path: String) -> PathMatch {
        // Percent-escapes in a path (e.g. "%40me") are decoded first.
        let decodedPath = path.contains("%") ? (path.removingPercentEncoding ?? path) : path
        var segments = decodedPath.split(separator: "/", omittingEmptySubsequences: false)
        // Leading "" from the initial slash; tolerate one trailing slash.
        guard segments.first == "" else { return .notFound }
        segments.removeFirst()
        if segments.count > 1, segments.last == "" { segments.removeLast() }
        guard let first = segments.first else { return .notFound }
        if first == "_sandbox" { return .admin(Array(segments.dropFirst())) }
        guard first == "api" else { return .notFound }
        var rest = segments.dropFirst()
        if let version = rest.first, isVersion(version) {
            rest = rest.dropFirst()
        } else {
            // Unversioned: only the OAuth2 token endpoint lives there (as on Discord, where the rest is v6).
            if Array(rest) == ["oauth2", "token"] {
                return method == "POST" ? .api(MatchedRoute(route: .oauthToken)) : .methodNotAllowed
            }
            return .notFound
        }
        let parts = Array(rest)
        switch parts.count {
        case 2 where parts[0] == "users" && parts[1] == "@me":
            return method == "GET" ? .api(MatchedRoute(route: .getCurrentUser)) : .methodNotAllowed
        case 2 where parts[0] == "oauth2" && parts[1] == "token":
            return method == "POST" ? .api(MatchedRoute(route: .oauthToken)) : .methodNotAllowed
        case 2 where parts[0] == "guilds":
            return pick(method, ["GET": .getGuild], guild: parts[1])
        case 3 where parts[0] == "guilds" && parts[2] == "roles":
            return pick(method, ["GET": .getRoles, "POST": .createRole], guild: parts[1])
        case 3 where parts[0] == "guilds" && parts[2] == "members":
            return pick(method, ["GET": .listMembers], guild: parts[1])
        case 4 where parts[0] == "guilds" && parts[2] == "members":
            return pick(
                method,
                ["GET": .getMember, "PUT": .addMember, "PATCH": .modifyMember, "DELETE": .kickMember],
                guild: parts[1], user: parts[3])
        case 6 where parts[0] == "guilds" && parts[2] == "members" && parts[4] == "roles":
            return pick(
                method, ["PUT": .addMemberRole, "DELETE": .removeMemberRole],
                guild: parts[1], user: parts[3], role: parts[5])
        default:
            return .notFound
        }
    }

    private static func isVersion(_ segment: Substring) -> Bool {
        guard segment.count >= 2, segment.first == "v" else { return false }
        return segment.dropFirst().allSatisfy(\.isASCII) && segment.dropFirst().allSatisfy(\.isNumber)
    }

    private static func pick(
        _ method: String, _ table: [String: SandboxRoute],
        guild: Substring, user: Substring = "", role: Substring = ""
    ) -> PathMatch {
        guard let route = table[method] else { return .methodNotAllowed }
        return .api(MatchedRoute(route: route, guild: guild, user: user, role: role))
    }
}
