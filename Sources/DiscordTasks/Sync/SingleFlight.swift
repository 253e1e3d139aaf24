import Synchronization

/// Concurrent callers share one load in progress instead of each starting their own: when 16 tasks of a
/// fresh worker all need the guild's roles or the bot's place, Discord sees one request, not 16.
final class SingleFlight<Value: Sendable>: Sendable {
    private let current = Mutex<Task<Value, any Error>?>(nil)

    func run(_ load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = current.withLock { slot in
            if let running = slot { return running }
            let started = Task { try await load() }
            slot = started
            return started
        }
        defer { current.withLock { slot in if slot == task { slot = nil } } }
        return try await task.value
    }
}
