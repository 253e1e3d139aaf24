import Foundation
import Logging
import PythonCompat
import RedisClient
import WorkerRuntime

/// TEST-ONLY tasks, for the integration tests that drive the built binary from the outside (kill it
/// mid-task, stop it during a retry, chain it with Python workers).
///
/// They are registered ONLY when the environment has `DISCORD_WORKER_ENABLE_TEST_TASKS=1`. That variable
/// is test-only: it is not a product setting, is not in the README's configuration table, and must never
/// be set in production (anyone who can write to the broker could then make the worker sleep or write
/// keys). Without it these names are unknown tasks like any other (dead-lettered).
///
/// - `discord_worker.test.sleep(seconds, key=None)`: sleeps; with `key`, `RPUSH key "start:<id>"` before
///   and `RPUSH key "done:<id>"` after. Returns `seconds`.
/// - `discord_worker.test.user_sleep(user_pk, seconds, key, hold_key=None)`: like `sleep`, under the per-user
///   lock of `user_pk` (as `discord.update_groups`), recording `start:<pk>:<id>` and `done:<pk>:<id>`; while
///   the broker key `hold_key` exists when it starts, it sleeps 60 s instead (a task a worker is killed in).
/// - `discord_worker.test.record(key, value)`: `RPUSH key <value>` (strings as they are, anything else as
///   JSON). Returns `value`.
/// - `discord_worker.test.retry(key=None, succeed_after=1)`: with `key`, `RPUSH key {"worker": "swift",
///   "id", "retries"}`; retries (counted, `DISCORD_TASKS_RETRY_PAUSE`) while `retries < succeed_after`, then
///   returns the number of retries.
///
/// The keys are written to the broker database (`BROKER_URL`).
enum TestTasks {
    static let environmentVariable = "DISCORD_WORKER_ENABLE_TEST_TASKS"

    static func registerIfEnabled(into registry: TaskRegistry, configuration: Configuration,
                                  environment: [String: String] = ProcessInfo.processInfo.environment,
                                  resources: OwnedResources, logger: Logger) {
        guard environment[environmentVariable] == "1" else { return }
        logger.warning("test-only tasks enabled (\(environmentVariable)=1): never set this in production")
        let redis = RedisClient(url: configuration.brokerURL, name: "test-tasks")
        resources.adopt(redis)
        /// RPUSH, tried again once when the connection turns out to be stale (e.g. redis-server restarted).
        @Sendable func rpush(_ key: String, _ value: [UInt8]) async throws {
            do {
                try await redis.command(["RPUSH", RedisArgument(key), RedisArgument(bytes: value)])
            } catch let error where error.isConnectionError {
                try await redis.command(["RPUSH", RedisArgument(key), RedisArgument(bytes: value)])
            }
        }

        registry.register(TaskDefinition(
            name: "discord_worker.test.sleep", parameters: [.required("seconds"), .optional("key", default: .null)]
        ) { invocation in
            guard let seconds = invocation.arguments["seconds"]?.numberValue, seconds >= 0, seconds <= 3600 else {
                return .failure(reason: "bad arguments: seconds must be a number from 0 to 3600")
            }
            let key = invocation.string("key")
            if let key { try await rpush(key, Array("start:\(invocation.id)".utf8)) }
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if let key { try await rpush(key, Array("done:\(invocation.id)".utf8)) }
            return .success(invocation.arguments["seconds"] ?? .null)
        })

        registry.register(TaskDefinition(
            name: "discord_worker.test.user_sleep",
            parameters: [.required("user_pk"), .required("seconds"), .required("key"), .optional("hold_key", default: .null)],
            userParameter: "user_pk"
        ) { invocation in
            guard let pk = invocation.int("user_pk"), let key = invocation.string("key"),
                  var seconds = invocation.arguments["seconds"]?.numberValue, seconds >= 0, seconds <= 3600 else {
                return .failure(reason: "bad arguments: user_pk (integer), seconds (0 to 3600), key (string), hold_key")
            }
            if let hold = invocation.string("hold_key"), try await redis.command(["EXISTS", RedisArgument(hold)]) == .integer(1) {
                seconds = 60
            }
            let start = "start:\(pk):\(invocation.id)"
            try await rpush(key, Array(start.utf8))
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            try await rpush(key, Array("done:\(pk):\(invocation.id)".utf8))
            return .success(invocation.arguments["seconds"] ?? .null)
        })

        registry.register(TaskDefinition(
            name: "discord_worker.test.record", parameters: [.required("key"), .required("value")]
        ) { invocation in
            guard let key = invocation.string("key") else { return .failure(reason: "bad arguments: key must be a string") }
            let value = invocation.arguments["value"] ?? .null
            let bytes: [UInt8] = value.stringValue.map { Array($0.utf8) } ?? value.serialized()
            try await rpush(key, bytes)
            return .success(value)
        })

        registry.register(TaskDefinition(
            name: "discord_worker.test.retry", parameters: [.optional("key", default: .null), .optional("succeed_after", default: 1)]
        ) { invocation in
            let succeedAfter = Int(invocation.int("succeed_after") ?? 1)
            if let key = invocation.string("key") {
                let record: JSONValue = .object(JSONObject([
                    ("worker", .string("swift")), ("id", .string(invocation.id)), ("retries", .int(Int64(invocation.retries))),
                ]))
                try await rpush(key, record.serialized())
            }
            if invocation.retries < succeedAfter { return .retryAfterError("test task asked for a retry") }
            return .success(.int(Int64(invocation.retries)))
        })
    }
}
