@testable import CurlHTTP
@testable import DiscordAPI
import Foundation
import PythonCompat
import Testing

@Suite("Snowflake and models")
struct ModelTests {
    @Test func snowflakeFromStringAndNumber() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode([Snowflake].self, from: Data(#"["123", 456, "18446744073709551615"]"#.utf8))
            == [123, 456, Snowflake(UInt64.max)])
        #expect(throws: DecodingError.self) { try decoder.decode(Snowflake.self, from: Data(#""12a""#.utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Snowflake.self, from: Data(#"-5"#.utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode(Snowflake.self, from: Data(#""18446744073709551616""#.utf8)) }
        #expect(Snowflake(" 1") == nil)
        #expect(Snowflake("") == nil)
        #expect(String(decoding: try JSONEncoder().encode(Snowflake(42)), as: UTF8.self) == #""42""#)
    }

    @Test func memberToleratesUnknownAndMissingFields() throws {
        let json = #"""
        {"user": {"id": "80351110224678912", "username": "nelly", "discriminator": "0", "global_name": null,
                  "avatar": null, "public_flags": 64, "future_field": {"x": 1}},
         "roles": ["41771983423143936", 41771983423143937], "joined_at": "2015-04-26T06:26:56.936000+00:00",
         "deaf": false, "mute": false, "flags": 0, "nick": null, "brand_new": true}
        """#
        let member = try JSONDecoder().decode(GuildMember.self, from: Data(json.utf8))
        #expect(member.user?.id == 80351110224678912)
        #expect(member.user?.username == "nelly")
        #expect(member.user?.globalName == nil)
        #expect(member.nick == nil)
        #expect(member.roles == [41771983423143936, 41771983423143937])
        let bare = try JSONDecoder().decode(GuildMember.self, from: Data(#"{}"#.utf8))
        #expect(bare.user == nil && bare.roles.isEmpty)
    }

    @Test func roleAndGuild() throws {
        let json = #"""
        {"id": "1", "name": "Alliance", "owner_id": "7", "mfa_level": 0, "features": [],
         "roles": [{"id": "1", "name": "@everyone", "position": 0, "permissions": "1071698660929", "managed": false,
                    "colors": {"primary_color": 0}, "tags": {}},
                   {"id": "2", "name": "Bot", "position": 5, "permissions": 8, "managed": true}]}
        """#
        let guild = try JSONDecoder().decode(Guild.self, from: Data(json.utf8))
        #expect(guild.id == 1 && guild.name == "Alliance" && guild.ownerID == 7)
        #expect(guild.roles.count == 2)
        #expect(guild.roles[0].permissions == "1071698660929")
        #expect(guild.roles[0].permissionBits == 1071698660929)
        #expect(guild.roles[1].permissions == "8")
        #expect(guild.roles[1].managed)
    }

    @Test func oauthTokenKeepsSecretsRedacted() throws {
        let json = #"{"access_token": "6qrZcUqja7812RVdnEKjpzOL4CvHBFG", "token_type": "Bearer", "expires_in": 604800, "refresh_token": "D43f5y0ahjqew82jZ4NViEr2YafMKhue", "scope": "identify guilds.join"}"#
        let token = try JSONDecoder().decode(OAuthToken.self, from: Data(json.utf8))
        #expect(token.accessToken.value == "6qrZcUqja7812RVdnEKjpzOL4CvHBFG")
        #expect(token.scopes == ["identify", "guilds.join"])
        #expect(!"\(token)".contains("6qrZ"))
        #expect(!String(reflecting: token).contains("D43f"))
    }

    @Test func secretNeverPrints() {
        let secret = Secret("MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("ZnCjm"))
        let options = DiscordClientOptions(botToken: secret)
        var dumpedOptions = ""
        dump(options, to: &dumpedOptions)
        #expect(!dumpedOptions.contains("ZnCjm"))
        #expect(!"\(options)".contains("ZnCjm"))
    }
}

@Suite("Routes and bucket keys")
struct RouteTests {
    @Test func templatesAndMajorParameter() {
        let patch = DiscordRoute(.patch, "guilds/111/members/222")
        #expect(patch.name == "PATCH /guilds/:id/members/:id")
        #expect(patch.majorID == "111")
        #expect(patch.seed == RateLimitWindow(limit: 10, window: .seconds(10)))
        let me = DiscordRoute(.get, "/users/@me")
        #expect(me.name == "GET /users/@me" && me.majorID == "" && me.seed == nil)
        let list = DiscordRoute(.get, "guilds/5/members?limit=1000&after=3")
        #expect(list.path == "guilds/5/members" && list.template == "/guilds/:id/members")
        #expect(list.seed == RateLimitWindow(limit: 10, window: .seconds(10)))
        let channel = DiscordRoute(.get, "channels/9/messages/10")
        #expect(channel.majorID == "9" && channel.template == "/channels/:id/messages/:id")
    }

    @Test func seedsFollowObservedLimits() {
        #expect(DiscordRoute.getMember(1, 2).seed == RateLimitWindow(limit: 5, window: .seconds(1)))
        #expect(DiscordRoute.removeMember(1, 2).seed == RateLimitWindow(limit: 5, window: .seconds(1)))
        #expect(DiscordRoute.addMember(1, 2).seed == RateLimitWindow(limit: 10, window: .seconds(10)))
        #expect(DiscordRoute.createRole(1).seed == RateLimitWindow(limit: 250, window: .seconds(172_800)))
        #expect(DiscordRoute.getRoles(1).seed == nil)
        #expect(DiscordRoute.getGuild(1).seed == nil)
    }

    @Test func roleAddAndRemoveShareOneDefaultBucketPerGuild() {
        let add = DiscordRoute.addMemberRole(1, 2, 3)
        let remove = DiscordRoute.removeMemberRole(1, 4, 5)
        let otherGuild = DiscordRoute.addMemberRole(9, 2, 3)
        #expect(add.name != remove.name)
        #expect(RateLimitKeys.defaultBucketID(add) == RateLimitKeys.defaultBucketID(remove))
        #expect(RateLimitKeys.defaultBucketID(add) != RateLimitKeys.defaultBucketID(otherGuild))
        #expect(RateLimitKeys.bucketID(hash: "abc", route: add) == "abc:1")
        #expect(RateLimitKeys.defaultBucketID(DiscordRoute.modifyMember(1, 2)) != RateLimitKeys.defaultBucketID(add))
    }

    @Test func keysAreScopedByTokenFingerprint() {
        let token = Secret("MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs")
        let keys = RateLimitKeys(keyPrefix: "discord-worker:ratelimit:", botToken: token)
        #expect(keys.scope.hasPrefix("discord-worker:ratelimit:v\(RateLimitScripts.version):"))
        #expect(!keys.scope.contains("ZnCjm") && !keys.scope.contains("MTk4"))
        #expect(keys == RateLimitKeys(keyPrefix: "discord-worker:ratelimit:", botToken: token))
        #expect(keys.scope != RateLimitKeys(keyPrefix: "discord-worker:ratelimit:", botToken: "other").scope)
        #expect(keys.invalid == "discord-worker:ratelimit:v\(RateLimitScripts.version):invalid")
        #expect(RateLimitKeys.fingerprint(token).count == 16)
    }
}

@Suite("Rate-limit headers and 429 verdicts")
struct RateLimitHeaderTests {
    func headers(_ pairs: [String: String]) -> RateLimitHeaders {
        RateLimitHeaders { name in pairs.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    @Test func parsesDiscordHeaders() {
        let parsed = headers([
            "x-ratelimit-bucket": "abcd1234", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "9",
            "X-RateLimit-Reset": "1470173023.123", "X-RateLimit-Reset-After": "64.57",
        ])
        #expect(parsed.bucket == "abcd1234")
        #expect(parsed.limit == 10 && parsed.remaining == 9)
        #expect(parsed.resetAfter == .milliseconds(64_570))
        #expect(parsed.isFirstInWindow)
        #expect(parsed.scope == nil && !parsed.isGlobal)
    }

    @Test func secondsRoundUpToTheMillisecond() {
        #expect(RateLimitHeaders.parseSeconds("1") == .seconds(1))
        #expect(RateLimitHeaders.parseSeconds("0.0001") == .milliseconds(1))
        #expect(RateLimitHeaders.parseSeconds("2.5") == .milliseconds(2500))
        #expect(RateLimitHeaders.parseSeconds("-1") == nil)
        #expect(RateLimitHeaders.parseSeconds("nan") == nil)
        #expect(RateLimitHeaders.parseSeconds("1e3") == nil)
        #expect(RateLimitHeaders.parseSeconds("") == nil)
        #expect(RateLimitHeaders.parseSeconds("9999999") == nil)
    }

    @Test func malformedHeadersAreIgnored() {
        let parsed = headers([
            "X-RateLimit-Bucket": "has:colon", "X-RateLimit-Limit": "ten", "X-RateLimit-Remaining": "-1",
            "X-RateLimit-Scope": "galaxy", "X-RateLimit-Global": "yes",
        ])
        #expect(parsed == RateLimitHeaders())
    }

    @Test func bodyRetryAfterWinsAndScopesMap() {
        let user = TooManyRequestsVerdict.decide(
            headers: headers(["Retry-After": "65", "X-RateLimit-Scope": "user"]),
            body: Array(#"{"message": "You are being rate limited.", "retry_after": 64.57, "global": false}"#.utf8))
        #expect(user == TooManyRequestsVerdict(scope: .bucket, wait: .milliseconds(64_570), countsAsInvalid: true, isCloudflareBlock: false))

        let global = TooManyRequestsVerdict.decide(
            headers: headers(["Retry-After": "1", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"]),
            body: Array(#"{"message": "You are being rate limited.", "retry_after": 0.75, "global": true}"#.utf8))
        #expect(global.scope == .global && global.wait == .milliseconds(750) && global.countsAsInvalid)

        let bodyGlobal = TooManyRequestsVerdict.decide(headers: headers([:]), body: Array(#"{"retry_after": 1, "global": true}"#.utf8))
        #expect(bodyGlobal.scope == .global)

        let shared = TooManyRequestsVerdict.decide(
            headers: headers(["Retry-After": "3", "X-RateLimit-Scope": "shared", "X-RateLimit-Remaining": "4"]),
            body: Array(#"{"message": "The resource is being rate limited.", "retry_after": 2.2, "global": false}"#.utf8))
        #expect(shared.scope == .shared && !shared.countsAsInvalid && shared.wait == .milliseconds(2200))

        let headerOnly = TooManyRequestsVerdict.decide(headers: headers(["Retry-After": "3"]), body: Array(#"{"message": "x"}"#.utf8))
        #expect(headerOnly.wait == .seconds(3) && headerOnly.scope == .bucket)
    }

    @Test func nonJSON429IsACloudflareBlock() {
        let verdict = TooManyRequestsVerdict.decide(headers: headers([:]), body: Array("<html>error code: 1015</html>".utf8))
        #expect(verdict.isCloudflareBlock && verdict.scope == .global && verdict.wait >= .seconds(60))
    }
}

@Suite("Errors and encodings")
struct ErrorAndEncodingTests {
    @Test func discordCodesMapToErrorCodes() {
        #expect(DiscordAPIError.Code.from(status: 404, discordCode: 10007) == .notAMember)
        #expect(DiscordAPIError.Code.from(status: 403, discordCode: 50013) == .missingPermissions)
        #expect(DiscordAPIError.Code.from(status: 403, discordCode: 50001) == .missingAccess)
        #expect(DiscordAPIError.Code.from(status: 404, discordCode: 10011) == .unknownRole)
        #expect(DiscordAPIError.Code.from(status: 404, discordCode: 10004) == .unknownGuild)
        #expect(DiscordAPIError.Code.from(status: 400, discordCode: 30005) == .maxRoles)
        #expect(DiscordAPIError.Code.from(status: 400, discordCode: 50035) == .invalidFormBody)
        #expect(DiscordAPIError.Code.from(status: 401, discordCode: 0) == .unauthorized)
        #expect(DiscordAPIError.Code.from(status: 502, discordCode: nil) == .server)
        #expect(DiscordAPIError.Code.from(status: 404, discordCode: 10013) == .other(status: 404, code: 10013))
    }

    @Test func retryableCodes() {
        func error(_ code: DiscordAPIError.Code) -> DiscordAPIError { DiscordAPIError(code, route: "GET /x", message: "") }
        #expect(error(.server).isRetryable && error(.timeout).isRetryable && error(.network).isRetryable)
        #expect(!error(.missingPermissions).isRetryable && !error(.unauthorized).isRetryable && !error(.maxRoles).isRetryable)
    }

    @Test func errorBodyDetailsAreFlattened() throws {
        let body = #"{"code": 50035, "message": "Invalid Form Body", "errors": {"nick": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 32 or fewer in length."}]}}}"#
        let parsed = try #require(DiscordClient.ErrorBody(Array(body.utf8)))
        #expect(parsed.code == 50035)
        #expect(parsed.details == ["nick: Must be 32 or fewer in length."])
        #expect(DiscordClient.ErrorBody(Array("<html></html>".utf8)) == nil)
        #expect(DiscordClient.ErrorBody([]) == nil)
    }

    @Test func jsonBodyWriter() {
        // Request bodies: PythonCompat's compact JSON, fields in order.
        let body = JSONObject([
            ("roles", .array([.string("1"), .string("2")])), ("nick", .null), ("x", .string("a\"b\\c\n\u{1}é")),
            ("n", .int(-3)), ("b", .bool(true)),
        ]).serialized(.compact)
        let text = String(decoding: body, as: UTF8.self)
        #expect(text == #"{"roles":["1","2"],"nick":null,"x":"a\"b\\c\n\u0001é","n":-3,"b":true}"#)
        #expect((try? JSONSerialization.jsonObject(with: Data(body))) != nil)
    }

    @Test func percentEncoding() {
        #expect(PercentEncoding.encode("Sync: groups & roles/é") == "Sync%3A%20groups%20%26%20roles%2F%C3%A9")
        #expect(String(decoding: PercentEncoding.form([("grant_type", "authorization_code"), ("redirect_uri", "https://a.b/c?d=e")]), as: UTF8.self)
            == "grant_type=authorization_code&redirect_uri=https%3A%2F%2Fa.b%2Fc%3Fd%3De")
    }

    @Test func durationMilliseconds() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.microseconds(1).wholeMilliseconds == 1)
        #expect(Duration.zero.wholeMilliseconds == 0)
        #expect(Duration.seconds(-1).wholeMilliseconds == 0)
    }
}

@Suite("CurlHTTP pure parts")
struct CurlPureTests {
    @Test func loopbackRule() {
        #expect(URLCheck.check("https://discord.com/api/v10/") == .allowed)
        #expect(URLCheck.check("http://127.0.0.1:8080/api/v10/") == .allowed)
        #expect(URLCheck.check("http://127.45.0.3/") == .allowed)
        #expect(URLCheck.check("http://localhost:1/") == .allowed)
        #expect(URLCheck.check("http://[::1]:80/x") == .allowed)
        #expect(URLCheck.check("HTTP://LOCALHOST/") == .allowed)
        #expect(URLCheck.check("http://discord.com/api/") == .insecure(host: "discord.com"))
        #expect(URLCheck.check("http://127.0.0.1.evil.com/") == .insecure(host: "127.0.0.1.evil.com"))
        #expect(URLCheck.check("http://user@128.0.0.1/") == .insecure(host: "128.0.0.1"))
        #expect(URLCheck.check("http://localhost@evil.com/") == .insecure(host: "evil.com"))
        if case .invalid = URLCheck.check("ftp://x/") {} else { Issue.record("ftp accepted") }
        if case .invalid = URLCheck.check("discord.com/api") {} else { Issue.record("relative accepted") }
        if case .invalid = URLCheck.check("https:///x") {} else { Issue.record("no host accepted") }
    }

    @Test func messagesDropQueryAndUserInfo() {
        #expect(URLCheck.withoutQuery("https://u:p@h.example/a/b?x=1#f") == "https://h.example/a/b")
        #expect(URLCheck.withoutQuery("https://h.example/a") == "https://h.example/a")
    }

    @Test func headerLinesParsedAsBytes() {
        #expect(HeaderLine.parse(Array("X-RateLimit-Limit: 10\r\n".utf8)) == .field(name: "X-RateLimit-Limit", value: "10"))
        #expect(HeaderLine.parse(Array("Retry-After:\t65 \r\n".utf8)) == .field(name: "Retry-After", value: "65"))
        #expect(HeaderLine.parse(Array("HTTP/1.1 429 Too Many Requests\r\n".utf8)) == .statusLine)
        #expect(HeaderLine.parse(Array("\r\n".utf8)) == .other)
        #expect(HeaderLine.parse(Array("garbage\r\n".utf8)) == .other)
        #expect(HeaderLine.parse(Array("X-Empty:\r\n".utf8)) == .field(name: "X-Empty", value: ""))
        var headers = HTTPHeaders()
        headers.append(name: "Set-Cookie", value: "a")
        headers.append(name: "set-cookie", value: "b")
        #expect(headers["SET-COOKIE"] == "a")
        #expect(headers.values(for: "Set-Cookie") == ["a", "b"])
    }

    @Test func insecureURLIsRefusedBeforeAnyIO() async {
        let client = CurlHTTPClient()
        await #expect {
            _ = try await client.send(HTTPRequest(method: .get, url: "http://discord.com/api/v10/users/@me"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .insecureURL
        }
        await client.shutdown()
        await #expect {
            _ = try await client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:1/"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .shutdown
        }
    }

    @Test func refusedConnectionIsConnectFailed() async {
        let client = CurlHTTPClient()
        await #expect {
            _ = try await client.send(HTTPRequest(method: .get, url: "http://127.0.0.1:1/"))
        } throws: { error in
            (error as? HTTPClientError)?.code == .connectFailed
        }
        await client.shutdown()
    }
}
