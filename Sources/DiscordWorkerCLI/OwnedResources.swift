import DiscordAPI
import HostDatabase
import RedisClient
import ServiceLifecycle
import Synchronization

/// What `run` opens besides the worker's own connections (the Discord client and its rate-limit
/// connection, AA's database, the cache and task-publisher connections, the endpoint's connections,
/// the Celery remote control and AA's task statistics): each is adopted right after it is opened and
/// closed in reverse order of opening, once.
///
/// In the `ServiceGroup` as ``ResourcesService`` (first, so it shuts down last: after the worker has
/// drained and the endpoint has closed); ``closeAll()`` again at the end of `run` covers a start that
/// failed before the group ran (a second call does nothing).
final class OwnedResources: Sendable {
    private struct Entry: Sendable {
        var name: String
        var close: @Sendable () async -> Void
    }

    private let entries = Mutex<[Entry]>([])

    /// Adopts something opened: `close` runs at shutdown, before whatever was adopted earlier.
    func adopt(_ name: String, close: @escaping @Sendable () async -> Void) {
        entries.withLock { $0.append(Entry(name: name, close: close)) }
    }

    func adopt(_ client: RedisClient) {
        adopt("redis \(client.name)") { await client.close() }
    }

    func adopt(_ client: DiscordClient) {
        adopt("discord client") { await client.shutdown() }
    }

    func adopt(_ database: any HostDatabase) {
        adopt("AA database") { await database.close() }
    }

    /// Closes everything adopted so far, last opened first.
    func closeAll() async {
        let entries = self.entries.withLock { entries in
            defer { entries.removeAll() }
            return entries
        }
        for entry in entries.reversed() { await entry.close() }
    }

    /// Runs `body`, then closes everything it adopted, also when it throws.
    static func scoped<T>(_ body: (OwnedResources) async throws -> T) async throws -> T {
        let resources = OwnedResources()
        let value: T
        do {
            value = try await body(resources)
        } catch {
            await resources.closeAll()
            throw error
        }
        await resources.closeAll()
        return value
    }
}

/// ``OwnedResources`` as a `Service`: waits for the group's graceful shutdown (or its cancellation),
/// then closes every resource.
struct ResourcesService: Service {
    let resources: OwnedResources

    func run() async {
        try? await gracefulShutdown()
        await resources.closeAll()
    }
}
