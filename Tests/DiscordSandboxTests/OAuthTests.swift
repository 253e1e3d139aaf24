import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("OAuth2 token exchange, users/@me with Bearer, Add Guild Member")
struct OAuthTests {
    let g = IDs.guild
    let oauth = SandboxOAuthApplication()
    let newcomer = SandboxUser(id: 900_000_000_000_000_001, username: "newpilot", globalName: "New Pilot")

    private func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    private func form(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
    }

    private func exchange(
        _ client: TestClient, code: String, redirectURI: String? = nil, path: String = "/api/oauth2/token",
        authorization: String? = nil, contentType: String = "application/x-www-form-urlencoded",
        extra: [(String, String)] = []
    ) async throws -> TestClient.Response {
        var headers: HTTPFields = [.contentType: contentType]
        headers[.authorization] = authorization ?? basic(oauth.clientID, oauth.clientSecret)
        let body = form([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI ?? oauth.redirectURI)] + extra)
        return try await client.raw(.post, path, headers: headers, body: body)
    }

    @Test func fullLinkingFlow() async throws {
        try await withSandbox { server, client in
            // The user consents (admin endpoint), the app exchanges the code.
            let minted = try await client.raw(
                .post, "/_sandbox/oauth/codes",
                headers: [.contentType: "application/json"],
                body: #"{"user": {"id": "\#(newcomer.id)", "username": "newpilot", "global_name": "New Pilot"}}"#)
            #expect(minted.status == .ok)
            let code = try #require(minted.object["code"] as? String)

            let token = try await exchange(client, code: code)
            #expect(token.status == .ok)
            let body = token.object
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["expires_in"] as? Int == 604_800)
            #expect(body["scope"] as? String == "identify guilds.join")
            #expect(body["refresh_token"] is String)
            let accessToken = try #require(body["access_token"] as? String)

            // users/@me with the Bearer token.
            let me = try await client.api(.get, "users/@me", authorization: "Bearer \(accessToken)")
            #expect(me.status == .ok)
            #expect(me.object["id"] as? String == String(newcomer.id))
            #expect(me.object["username"] as? String == "newpilot")

            // Add Guild Member with the bot token and the user's access token: 201 + member.
            let added = try await client.api(
                .put, "guilds/\(g)/members/\(newcomer.id)",
                json: #"{"access_token": "\#(accessToken)", "nick": "Pilot", "roles": ["\#(IDs.member)"]}"#)
            #expect(added.status == .created)
            #expect(added.object["nick"] as? String == "Pilot")
            #expect(added.object["roles"] as? [String] == [String(IDs.member)])
            #expect(server.state.member(newcomer.id)?.user.username == "newpilot")

            // Already a member: 204, nothing changed.
            let again = try await client.api(
                .put, "guilds/\(g)/members/\(newcomer.id)", json: #"{"access_token": "\#(accessToken)", "nick": "Other"}"#)
            #expect(again.status == .noContent)
            #expect(server.state.member(newcomer.id)?.nick == "Pilot")

            // The code is single use.
            let reused = try await exchange(client, code: code)
            #expect(reused.status == .badRequest)
            #expect(reused.object["error"] as? String == "invalid_grant")
            #expect(reused.object["error_description"] as? String == #"Invalid "code" in request."#)
        }
    }

    @Test func redirectURIMustMatchByteForByte() async throws {
        try await withSandbox { server, client in
            let code = await server.mintOAuthCode(for: newcomer)
            for wrong in [oauth.redirectURI + "x", String(oauth.redirectURI.dropLast()), oauth.redirectURI.replacingOccurrences(of: "http:", with: "https:")] {
                let response = try await exchange(client, code: code, redirectURI: wrong)
                #expect(response.status == .badRequest)
                #expect(response.object["error"] as? String == "invalid_grant")
                #expect(response.object["error_description"] as? String == #"Invalid "redirect_uri" in request."#)
            }
            // The code survives a failed exchange and works with the right URI, on the versioned path too.
            let ok = try await exchange(client, code: code, path: "/api/v10/oauth2/token")
            #expect(ok.status == .ok)
        }
    }

    @Test func clientAuthenticationAndBodyFormat() async throws {
        try await withSandbox { server, client in
            let code = await server.mintOAuthCode(for: newcomer)
            let badSecret = try await exchange(client, code: code, authorization: basic(oauth.clientID, "nope"))
            #expect(badSecret.status == .unauthorized)
            #expect(badSecret.object["error"] as? String == "invalid_client")

            let json = try await client.raw(
                .post, "/api/oauth2/token",
                headers: [.contentType: "application/json", .authorization: basic(oauth.clientID, oauth.clientSecret)],
                body: #"{"grant_type": "authorization_code", "code": "\#(code)", "redirect_uri": "\#(oauth.redirectURI)"}"#)
            #expect(json.status == .badRequest)
            #expect(json.object["error"] is String)

            let bogus = try await exchange(client, code: "not-a-code")
            #expect(bogus.object["error_description"] as? String == #"Invalid "code" in request."#)

            // Client credentials in the form instead of HTTP Basic.
            let formCredentials = try await exchange(
                client, code: code, authorization: "",
                extra: [("client_id", oauth.clientID), ("client_secret", oauth.clientSecret)])
            #expect(formCredentials.status == .ok)

            // Refresh.
            let refresh = try #require(formCredentials.object["refresh_token"] as? String)
            let refreshed = try await client.raw(
                .post, "/api/oauth2/token",
                headers: [.contentType: "application/x-www-form-urlencoded", .authorization: basic(oauth.clientID, oauth.clientSecret)],
                body: form([("grant_type", "refresh_token"), ("refresh_token", refresh)]))
            #expect(refreshed.status == .ok)
            #expect(refreshed.object["access_token"] is String)
        }
    }

    @Test func addMemberRules() async throws {
        try await withSandbox { server, client in
            let token = await server.issueAccessToken(for: newcomer)
            let other = await server.issueAccessToken(for: SandboxUser(id: 900_000_000_000_000_002, username: "other"))
            let identifyOnly = await server.issueAccessToken(for: newcomer, scope: "identify")
            let path = "guilds/\(g)/members/\(newcomer.id)"

            let missing = try await client.api(.put, path, json: "{}")
            #expect(missing.status == .badRequest)
            #expect(missing.errorCode == 50035)

            for wrong in [other.accessToken, identifyOnly.accessToken, "garbage"] {
                let response = try await client.api(.put, path, json: #"{"access_token": "\#(wrong)"}"#)
                #expect(response.status == .forbidden)
                #expect(response.errorCode == 50025)
            }
            let aboveBot = try await client.api(.put, path, json: #"{"access_token": "\#(token.accessToken)", "roles": ["\#(IDs.admin)"]}"#)
            #expect(aboveBot.status == .forbidden)
            #expect(aboveBot.errorCode == 50013)
            #expect(server.state.member(newcomer.id) == nil)

            // The Bearer token cannot call bot routes.
            let bearerOnBotRoute = try await client.api(.get, "guilds/\(g)/roles", authorization: "Bearer \(token.accessToken)")
            #expect(bearerOnBotRoute.status == .unauthorized)

            let added = try await client.api(.put, path, json: #"{"access_token": "\#(token.accessToken)"}"#)
            #expect(added.status == .created)
            #expect(added.object["roles"] as? [String] == [])
        }
    }
}
