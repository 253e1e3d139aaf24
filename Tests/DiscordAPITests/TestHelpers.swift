import DiscordAPI
import Testing
import TestSupport

/// Runs `body` and returns the DiscordAPIError it throws (records an issue when it succeeds or
/// throws something else).
func apiError<T>(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async -> DiscordAPIError? {
    do {
        let value = try await body()
        Issue.record("expected a DiscordAPIError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch let error as DiscordAPIError {
        return error
    } catch {
        Issue.record("expected a DiscordAPIError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Every test that starts a redis-server or a sandbox runs under this suite, one at a time: servers
/// never race for ports, and the throughput test has the CPU to itself.
@Suite("Integration (real redis-server, sandbox over HTTP)", .serialized)
struct IntegrationTests {}

/// A private redis-server. `Loopback.freePort()` releases its port before redis-server binds it, so
/// another process binding port 0 meanwhile can take it: one more try on a new port covers that.
func startRedisServer() async throws -> RedisServerProcess {
    do {
        return try await RedisServerProcess.start()
    } catch {
        return try await RedisServerProcess.start()
    }
}
