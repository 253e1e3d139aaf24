public import DiscordSandbox
public import RedisClient

// Scoped fixtures: each runs `body` and awaits the teardown afterwards, also when `body` throws, so a
// failing test still stops its server and closes its connections (a `defer { Task { … } }` would not
// wait, and debug builds stop on a connected client dropped without `close()`).

/// Runs `body`, then awaits `cleanup` whether `body` returned or threw: the one teardown pattern of every
/// scoped fixture here and in the test targets (Swift has no `async` `defer`).
@discardableResult
public func withCleanup<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
    let value: T
    do {
        value = try await body()
    } catch {
        await cleanup()
        throw error
    }
    await cleanup()
    return value
}

/// A private redis-server for `body` (see `RedisServerProcess`), stopped afterwards.
@discardableResult
public func withRedis<T>(password: String? = nil, _ body: (RedisServerProcess) async throws -> T) async throws -> T {
    let server = try await RedisServerProcess.start(password: password)
    return try await withCleanup({ await server.stop() }) { try await body(server) }
}

/// A `RedisClient` for `body`, closed afterwards.
@discardableResult
public func withRedisClient<T>(
    _ url: RedisURL, name: String = "test", connectTimeout: Duration = .seconds(5), socketTimeout: Duration = .seconds(10),
    _ body: (RedisClient) async throws -> T
) async throws -> T {
    let client = RedisClient(url: url, name: name, connectTimeout: connectTimeout, socketTimeout: socketTimeout)
    return try await withCleanup({ await client.close() }) { try await body(client) }
}

/// A Discord API sandbox for `body` (see `SandboxServer`), shut down afterwards.
@discardableResult
public func withSandbox<T>(
    configuration: SandboxConfiguration, seed: SandboxSeed, _ body: (SandboxServer) async throws -> T
) async throws -> T {
    let sandbox = try await SandboxServer.start(configuration: configuration, seed: seed)
    return try await withCleanup({ await sandbox.shutdown() }) { try await body(sandbox) }
}
