// The sandbox as a running HTTP server (Hummingbird), startable in-process by tests and by the
// `discord-sandbox` executable.

import Hummingbird
import Logging

/// An error starting or driving the sandbox.
public struct SandboxError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case bindFailed
        case serverStopped
    }

    public var code: Code
    public var message: String

    public var description: String { "DiscordSandbox \(code.rawValue): \(message)" }
}

public final class SandboxServer: Sendable {
    public let configuration: SandboxConfiguration
    /// The bound TCP port (the real one when the configuration asked for 0).
    public let port: Int
    private let engine: SandboxEngine
    private let runTask: Task<Void, Never>

    private init(configuration: SandboxConfiguration, port: Int, engine: SandboxEngine, runTask: Task<Void, Never>) {
        self.configuration = configuration
        self.port = port
        self.engine = engine
        self.runTask = runTask
    }

    public var host: String { configuration.host }
    /// `http://127.0.0.1:<port>/api/v10/`
    public var baseURL: String { "http://\(host):\(port)/api/v10/" }
    /// `http://127.0.0.1:<port>/api/oauth2/token`
    public var oauthTokenURL: String { "http://\(host):\(port)/api/oauth2/token" }
    /// `http://127.0.0.1:<port>/_sandbox/` (admin endpoints).
    public var adminURL: String { "http://\(host):\(port)/_sandbox/" }
    public var guildID: UInt64 { configuration.guildID }
    public var botToken: String { configuration.botToken }

    /// Starts a sandbox and returns once it is listening.
    public static func start(
        configuration: SandboxConfiguration = SandboxConfiguration(),
        seed: SandboxSeed = .generated(memberCount: 10)
    ) async throws -> SandboxServer {
        let engine = SandboxEngine(configuration: configuration, seed: seed)
        // Shutdown cancels the server task, which Hummingbird reports as an error
        // ("Waiting on child channel: CancellationError()"); its own logger stays at critical.
        var serverLogger = configuration.logger
        serverLogger.logLevel = max(serverLogger.logLevel, .critical)
        let (events, continuation) = AsyncStream.makeStream(of: Result<Int, SandboxError>.self)
        let app = Application(
            responder: SandboxResponder(engine: engine),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                continuation.yield(.success(channel.localAddress?.port ?? configuration.port))
            },
            logger: serverLogger)
        let host = configuration.host
        let requestedPort = configuration.port
        let runTask = Task {
            do {
                try await app.run()
                continuation.yield(.failure(SandboxError(code: .serverStopped, message: "server stopped")))
            } catch {
                continuation.yield(.failure(SandboxError(
                    code: .bindFailed, message: "cannot listen on \(host):\(requestedPort): \(error)")))
            }
            continuation.finish()
        }
        var iterator = events.makeAsyncIterator()
        switch await iterator.next() {
        case .success(let port)?:
            configuration.logger.debug("discord sandbox listening", metadata: ["port": "\(port)"])
            return SandboxServer(configuration: configuration, port: port, engine: engine, runTask: runTask)
        case .failure(let error)?:
            runTask.cancel()
            throw error
        case nil:
            runTask.cancel()
            throw SandboxError(code: .serverStopped, message: "server stopped before listening")
        }
    }

    /// Stops listening and ends every open request (hung ones included).
    public func shutdown() async {
        runTask.cancel()
        await runTask.value
    }

    // MARK: Observation and control

    public func stats() async -> SandboxStats { engine.withState { $0.stats } }

    /// Zeroes the counters (and clears the request log).
    public func resetStats() async { engine.resetStats() }

    /// The API requests seen, oldest first (empty unless `SandboxConfiguration.requestLogLimit` > 0).
    public func requestLog() async -> [SandboxRequestRecord] { engine.withState { $0.requestLog } }

    public func faults() async -> SandboxFaults { engine.withState { $0.faults } }

    /// Replaces the faults in force (forced 429 counts and hang counts restart from the new values).
    public func setFaults(_ faults: SandboxFaults) async { engine.setFaults(faults) }

    /// Forgets every rate-limit window and forced block, the invalid-request count and a ban in force.
    public func resetLimits() async { engine.resetLimits() }

    /// The guild's state, for assertions and direct edits.
    public var state: SandboxStateAccess { SandboxStateAccess(engine: engine) }

    /// Mints an authorization code as if `user` had consented (redirect URI defaults to the configured one).
    public func mintOAuthCode(
        for user: SandboxUser, scope: String = "identify guilds.join", redirectURI: String? = nil
    ) async -> String {
        engine.mintCode(user: user, scope: scope, redirectURI: redirectURI ?? configuration.oauth.redirectURI)
    }

    /// Issues an access token for `user` directly (skipping the code exchange).
    public func issueAccessToken(for user: SandboxUser, scope: String = "identify guilds.join") async -> SandboxOAuthToken {
        engine.issueAccessToken(user: user, scope: scope)
    }
}

/// Read and edit the guild's state (synchronous; each call takes the state lock once).
public struct SandboxStateAccess: Sendable {
    let engine: SandboxEngine

    public var guildID: UInt64 { engine.configuration.guildID }
    public var ownerID: UInt64 { engine.withState { $0.guild.ownerID } }
    public var botUser: SandboxUser { engine.withState { $0.guild.bot } }
    /// Position of the bot's highest role.
    public var botTopPosition: Int { engine.withState { $0.guild.botTopPosition } }
    public var botRoleID: UInt64 { engine.withState { $0.guild.botRoleID } }

    public func member(_ id: UInt64) -> SandboxMember? { engine.member(id) }
    public var memberCount: Int { engine.withState { $0.guild.members.count } }
    /// All members ordered by id.
    public var members: [SandboxMember] { engine.withState { $0.guild.members(after: 0, limit: Int.max) } }

    /// All roles (with @everyone) ordered by position.
    public var roles: [SandboxRole] { engine.withState { $0.guild.sortedRoles } }
    public func role(_ id: UInt64) -> SandboxRole? { engine.withState { $0.guild.roles[id] } }
    /// The lowest-positioned role with that name (names are not unique on Discord).
    public func role(named name: String) -> SandboxRole? {
        engine.withState { $0.guild.sortedRoles.first { $0.name == name } }
    }

    /// The whole guild as a seed.
    public var snapshot: SandboxSeed { engine.snapshot() }
    /// Replaces the whole guild.
    public func replace(with seed: SandboxSeed) { engine.replaceState(seed) }

    public func upsertMember(_ member: SandboxMember) { engine.withState { $0.guild.upsertMember(member) } }
    @discardableResult
    public func removeMember(_ id: UInt64) -> SandboxMember? { engine.withState { $0.guild.removeMember(id) } }
    public func upsertRole(_ role: SandboxRole) {
        engine.withState { state in
            if role.id != state.guild.guildID { state.guild.roles[role.id] = role }
        }
    }
    public func removeRole(_ id: UInt64) {
        engine.withState { state in
            if id != state.guild.guildID, id != state.guild.botRoleID { state.guild.roles[id] = nil }
        }
    }
}

/// Request context that can tell whether the client is still connected (hangs end when it leaves).
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let isConnected: @Sendable () -> Bool

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        let channel = source.channel
        isConnected = { channel.isActive }
    }
}

/// Hummingbird responder: collects the body, lets the engine decide, holds the reply, answers.
struct SandboxResponder: HTTPResponder {
    typealias Context = SandboxRequestContext
    let engine: SandboxEngine

    func respond(to request: Request, context: SandboxRequestContext) async throws -> Response {
        var request = request
        let body: [UInt8]
        do {
            let buffer = try await request.collectBody(upTo: engine.configuration.maxBodyBytes)
            body = Array(buffer: buffer)
        } catch {
            return Self.response(SandboxReply(status: 413, json: APIError.payloadTooLarge.json))
        }
        let reply = engine.handle(SandboxRequest(
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            authorization: request.headers[.authorization],
            contentType: request.headers[.contentType],
            userAgent: request.headers[.userAgent],
            body: body))
        // Sleeps end early at shutdown (task cancellation); answer at once then.
        switch reply.hold {
        case .none:
            break
        case .delay(let duration):
            try? await Task.sleep(for: duration)
        case .hang(let duration):
            // Until the bound, shutdown, or the connection going inactive. A client that closes its side
            // only half-closes it (Hummingbird allows remote half-closure), so usually the bound ends it.
            let deadline = ContinuousClock.now + duration
            while ContinuousClock.now < deadline, context.isConnected(), !Task.isCancelled {
                try? await Task.sleep(for: min(.milliseconds(50), deadline - ContinuousClock.now))
            }
        }
        if reply.countsInFlight { engine.finish() }
        return Self.response(reply)
    }

    static func response(_ reply: SandboxReply) -> Response {
        var fields = HTTPFields()
        if let contentType = reply.contentType { fields[.contentType] = contentType }
        for (name, value) in reply.headers {
            // Header names are fixed ASCII tokens, unique per reply (HTTPField.Name is not re-exported by Hummingbird).
            fields[.init(name)!] = value
        }
        let bytes = reply.bodyBytes
        return Response(
            status: HTTPResponse.Status(code: reply.status),
            headers: fields,
            body: bytes.isEmpty ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
