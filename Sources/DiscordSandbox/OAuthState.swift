// The OAuth2 authorization server side: codes minted by the admin endpoint (a user consenting),
// the token exchange with its checks, bearer tokens for `GET /users/@me` and Add Guild Member.

import Foundation

struct OAuthState: Sendable {
    struct PendingCode: Sendable {
        var user: SandboxUser
        var scope: String
        /// The redirect_uri used at authorize; the exchange must repeat it byte for byte.
        var redirectURI: String
    }

    struct Grant: Sendable {
        var user: SandboxUser
        var scope: String
        /// Monotonic seconds.
        var expiresAt: Double
        var refreshToken: String
        var scopes: Set<Substring> { Set(scope.split(separator: " ")) }
    }

    static let tokenLifetime: Double = 604_800

    var codes: [String: PendingCode] = [:]
    var accessTokens: [String: Grant] = [:]
    /// refresh token → access token it belongs to.
    var refreshTokens: [String: String] = [:]

    mutating func mintCode(user: SandboxUser, scope: String, redirectURI: String) -> String {
        let code = Self.randomToken(length: 30)
        codes[code] = PendingCode(user: user, scope: scope, redirectURI: redirectURI)
        return code
    }

    /// Issues an access/refresh token pair for `user`.
    mutating func issueTokens(user: SandboxUser, scope: String, now: Double) -> (access: String, grant: Grant) {
        let access = Self.randomToken(length: 30)
        let refresh = Self.randomToken(length: 30)
        let grant = Grant(user: user, scope: scope, expiresAt: now + Self.tokenLifetime, refreshToken: refresh)
        accessTokens[access] = grant
        refreshTokens[refresh] = access
        return (access, grant)
    }

    /// A live grant for a bearer token.
    func grant(forAccessToken token: String, now: Double) -> Grant? {
        guard let grant = accessTokens[token], grant.expiresAt > now else { return nil }
        return grant
    }

    static func tokenResponse(access: String, grant: Grant) -> JSONNode {
        .object([
            ("token_type", .string("Bearer")),
            ("access_token", .string(access)),
            ("expires_in", .int(Int(tokenLifetime))),
            ("refresh_token", .string(grant.refreshToken)),
            ("scope", .string(grant.scope)),
        ])
    }

    static func error(_ error: String, _ description: String) -> JSONNode {
        .object([("error", .string(error)), ("error_description", .string(description))])
    }

    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    static func randomToken(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            bytes.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// `application/x-www-form-urlencoded` decoding (`+` is a space, percent escapes are UTF-8).
enum FormDecoding {
    static func decode(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = unescape(parts[0])
            let value = parts.count > 1 ? unescape(parts[1]) : ""
            if result[key] == nil { result[key] = value }
        }
        return result
    }

    static func unescape(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// Client credentials from `Authorization: Basic base64(id:secret)` (each part form-encoded, RFC 6749 §2.3.1).
    static func basicCredentials(_ header: String?) -> (id: String, secret: String)? {
        guard let header, header.hasPrefix("Basic ") else { return nil }
        let encoded = header.dropFirst("Basic ".count).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: encoded), let decoded = String(data: data, encoding: .utf8),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return (unescape(decoded[..<colon]), unescape(decoded[decoded.index(after: colon)...]))
    }
}
