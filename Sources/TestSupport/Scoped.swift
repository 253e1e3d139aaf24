public import DiscordSandbox
public import RedisClient

// Scoped fixtures: each runs `body` and awaits the teardown afterwards, also when `body` throws, so a
// failing test still stops its server and closes its connections (a `defer { Task { … } }` would not
// wait, and debug builds stop on a connected client dropped without `close()`).

/// A private redis-server for `body` (see `RedisServerProcess`), stopped afterwards.
@discardableResult
public func withRedis<T>(password: String? = nil, _ body: (RedisServerProcess) async throws -> T) async throws -> T {
    let server = try await RedisServerProcess.start(password: password)
    do {
        let value = try await body(server)
        await server.stop()
        return value
    } catch {
        await server.stop()
        throw error
    }
}

/// A `RedisClient` for `body`, closed afterwards.
@discardableResult
public func withRedisClient<T>(
    _ url: RedisURL, name: String = "test", connectTimeout: Duration = .seconds(5), socketTimeout: Duration = .seconds(10),
    _ body: (RedisClient) async throws -> T
) async throws -> T {
    let client = RedisClient(url: url, name: name, connectTimeout: connectTimeout, socketTimeout: socketTimeout)
    do {
        let value = try await body(client)
        await client.close()
        return value
    } catch {
        await client.close()
        throw error
    }
}

/// A Discord API sandbox for `body` (see `SandboxServer`), shut down afterwards.
@discardableResult
public func withSandbox<T>(
    configuration: SandboxConfiguration, seed: SandboxSeed, _ body: (SandboxServer) async throws -> T
) async throws -> T {
    let sandbox = try await SandboxServer.start(configuration: configuration, seed: seed)
    do {
        let value = try await body(sandbox)
        await sandbox.shutdown()
        return value
    } catch {
        await sandbox.shutdown()
        throw error
    }
}
