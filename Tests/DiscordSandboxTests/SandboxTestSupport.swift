import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Ids of `SandboxSeed.generated(memberCount:)`.
enum IDs {
    static let guild: UInt64 = SandboxConfiguration().guildID
    static let owner = SandboxSeed.firstUserID
    static func user(_ index: Int) -> UInt64 { SandboxSeed.firstUserID + UInt64(index) }
    static let member = SandboxSeed.firstRoleID  // "Member", position 1
    static let alliance = SandboxSeed.firstRoleID + 1  // position 2
    static let corporation = SandboxSeed.firstRoleID + 2  // position 3
    static let booster = SandboxSeed.boosterRoleID  // managed, position 4
    static let botRole = SandboxSeed.defaultBotRoleID  // managed, position 5
    static let admin = SandboxSeed.adminRoleID  // position 6, above the bot
    static let bot = SandboxSeed.defaultBot.id
}

let botAuthorization = "Bot " + SandboxConfiguration().botToken

/// A configuration without limits (overrides added by each test).
func fastConfiguration(
    profile: SandboxProfile = .unlimited,
    routeLimits: [SandboxBucket: RateLimitRule] = [:],
    globalLimit: RateLimitRule? = nil,
    faults: SandboxFaults = SandboxFaults(),
    membersIntent: Bool = true
) -> SandboxConfiguration {
    SandboxConfiguration(
        profile: profile, routeLimits: routeLimits, globalLimit: globalLimit, membersIntent: membersIntent, faults: faults)
}

/// Starts a sandbox, runs `body` with it and one keep-alive client, and always shuts it down.
func withSandbox(
    _ configuration: SandboxConfiguration = fastConfiguration(),
    seed: SandboxSeed = .generated(memberCount: 20),
    _ body: @escaping @Sendable (SandboxServer, TestClient) async throws -> Void
) async throws {
    let server = try await SandboxServer.start(configuration: configuration, seed: seed)
    do {
        try await TestClient.withClient(host: "127.0.0.1", port: server.port) { client in
            try await body(server, client)
        }
    } catch {
        await server.shutdown()
        throw error
    }
    await server.shutdown()
}

extension TestClient {
    /// An API call under `/api/v10/`. `json` sets Content-Type application/json unless `contentType` is given.
    func api(
        _ method: HTTPRequest.Method, _ path: String,
        authorization: String? = botAuthorization,
        json: String? = nil, contentType: String? = nil, version: String = "v10"
    ) async throws -> TestClient.Response {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        if json != nil || contentType != nil { headers[.contentType] = contentType ?? "application/json" }
        let body = json.map { ByteBuffer(string: $0) }
        return try await execute(TestClient.Request("/api/\(version)/\(path)", method: method, headers: headers, body: body))
    }

    /// A raw call (admin endpoints, OAuth).
    func raw(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> TestClient.Response {
        try await execute(TestClient.Request(path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }))
    }
}

extension TestClient.Response {
    var text: String { body.map { String(buffer: $0) } ?? "" }

    var json: Any? {
        guard let body, body.readableBytes > 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
    }

    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }

    func header(_ name: String) -> String? { headers[.init(name)!] }

    /// Discord's error code of a JSON error body.
    var errorCode: Int? { object["code"] as? Int }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}
