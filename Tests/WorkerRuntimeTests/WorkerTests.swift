import Broker
import CeleryProtocol
import Foundation
import PythonCompat
import RedisClient
import Synchronization
import TestSupport
import Testing
@testable import WorkerRuntime

/// The AA task signatures as registered by the Discord tasks, with recording handlers.
func registerRecording(_ registry: TaskRegistry, _ log: CallLog, outcome: @escaping @Sendable (TaskInvocation) -> TaskOutcome = { _ in .success(.null) }) {
    let signatures: [(String, [Parameter], Bool)] = [
        ("discord.update_groups", [.required("user_pk"), .optional("state_name", default: .null)], true),
        ("discord.update_nickname", [.required("user_pk"), .optional("nickname", default: .null)], true),
        ("discord.update_username", [.required("user_pk")], true),
        ("discord.delete_user", [.required("user_pk"), .optional("notify_user", default: false)], true),
        ("discord.update_all_groups", [], false),
        ("discord.update_groups_bulk", [.required("user_pks")], false),
    ]
    for (name, parameters, once) in signatures {
        registry.register(TaskDefinition(name: name, parameters: parameters, usesOnceLock: once,
                                         userParameter: parameters.first?.name == "user_pk" ? "user_pk" : nil) { invocation in
            log.record(invocation)
            return outcome(invocation)
        })
    }
}

@Suite("Worker on a real redis-server", .serialized)
struct WorkerTests {
    @Test func everyCapturedAAMessageDispatchesWithTheRightArguments() async throws {
        try await WorkerHarness.with(queues: ["discord"]) { h in
            let log = CallLog()
            registerRecording(h.registry, log)
            h.options.queues = ["discord"]
            h.options.concurrency = 1  // one at a time, so the priority order is the execution order
            let producerSide = [
                "update_groups_delay.json", "delete_user_delay.json", "update_all_groups_delay.json", "update_groups_bulk_delay.json",
                "update_groups_priority0.json", "update_groups_priority9.json", "svc_update_groups.json", "svc_sync_nickname.json",
                "cli_call_update_groups_kwargs_queue.json",
            ]
            for name in producerSide {
                let bytes = try fixture(name)
                let message = try TaskMessage.decode(bytes, poppedFrom: "discord")
                try await h.push(bytes, to: message.listKey)
            }
            // AA's once-locks exist, as AA's producer took them.
            for key in [":1:qo_discord.update_groups_state_name-Guest_user_pk-1", ":1:qo_discord.update_nickname_nickname-Ember Thukker 1_user_pk-1",
                        ":1:qo_discord.delete_user_notify_user-True_user_pk-1", ":1:qo_discord.update_groups_user_pk-1"] {
                try await h.cache.command(["SET", RedisArgument(key), RedisArgument(bytes: OnceLock.value), "PX", 3_600_000])
            }
            try await h.runUntilIdle()

            let calls = log.all
            #expect(calls.count == producerSide.count)
            // Priority 0 first (two of them), priority 9 last.
            #expect(calls.first?.task == "discord.update_groups")
            #expect(calls.last.map { $0.task == "discord.update_groups" && $0.arguments["user_pk"] == .int(1) } == true)
            let svc = calls.first { $0.arguments["state_name"] == .string("Guest") }
            #expect(svc?.arguments["user_pk"] == .int(1))
            #expect(calls.contains { $0.task == "discord.update_nickname" && $0.arguments["nickname"] == .string("Ember Thukker 1") })
            #expect(calls.contains { $0.task == "discord.delete_user" && $0.arguments["notify_user"] == .bool(true) && $0.arguments["user_pk"] == .int(1) })
            #expect(calls.contains { $0.task == "discord.update_groups_bulk" && $0.arguments["user_pks"] == .array([.int(1), .int(2), .int(3)]) })
            #expect(calls.contains { $0.task == "discord.update_all_groups" })
            // Defaults are bound like Python binds them.
            #expect(calls.contains { $0.task == "discord.update_groups" && $0.arguments["state_name"] == .null })
            // Every once-lock is gone after the final outcome.
            #expect(try await h.cache.command(["KEYS", ":1:qo_*"]) == .array([]))
            #expect(try await h.deadLetters().isEmpty)
        }
    }

    @Test func aBulkChainIsContinuedAsAPythonWorkerWould() async throws {
        try await WorkerHarness.with(queues: ["discord"]) { h in
            h.options.queues = ["discord"]
            h.options.routes = .allianceAuth(queue: "discord")  // the captures' AA routed discord.* to a queue named discord
            let log = CallLog()
            registerRecording(h.registry, log)
            try await h.push(try fixture("bulk_chain_internal.json"), to: "discord\u{06}\u{16}6")
            try await h.runUntilIdle()
            let calls = log.all
            #expect(calls.map { $0.arguments["user_pk"] } == [.int(1), .int(2), .int(3)])
            // Each continuation carries the id AA assigned up front in options.task_id.
            #expect(calls.dropFirst().map(\.id) == ["4534563a-3992-41f9-a479-5bdc424db706", "07961984-230b-408f-b6be-4008468b8e66"])
            #expect(try await h.cache.command(["KEYS", ":1:qo_*"]) == .array([]))
        }
    }

    @Test func apiErrorsRetryWithTheSameIdAndGiveUpIntoTheDeadLetters() async throws {
        try await WorkerHarness.with { h in
            let log = CallLog()
            registerRecording(h.registry, log) { _ in .retryAfterError("HTTP 500 from PATCH /guilds/:id/members/:id") }
            let message = TaskMessage.newTask(name: "discord.update_username", args: [.int(5)], queue: "services", origin: "test")
            try await h.push(message.bytes, to: message.listKey)
            try await h.runUntilIdle()
            let calls = log.all
            #expect(calls.count == 4)  // the first attempt and DISCORD_TASKS_MAX_RETRIES = 3 retries
            #expect(calls.map(\.retries) == [0, 1, 2, 3])
            #expect(Set(calls.map(\.id)) == [message.id])
            let dead = try await h.deadLetters()
            #expect(dead.count == 1)
            #expect(dead.first?.letter.reason.hasPrefix("gave up after 3 retries: HTTP 500") == true)
            #expect(dead.first?.letter.id == message.id)
        }
    }

    @Test func rateLimitBackoffsWaitWithoutCountingAsRetries() async throws {
        try await WorkerHarness.with { h in
            let log = CallLog()
            let attempts = Mutex(0)
            registerRecording(h.registry, log) { _ in
                let n = attempts.withLock { $0 += 1; return $0 }
                return n <= 5 ? .retry(after: .milliseconds(20), reason: "429", countsAsRetry: false) : .success(.bool(true))
            }
            let message = TaskMessage.newTask(name: "discord.update_groups", args: [.int(2)], queue: "services", origin: "test")
            try await h.push(message.bytes, to: message.listKey)
            try await h.runUntilIdle()
            #expect(log.all.count == 6)
            #expect(log.all.allSatisfy { $0.retries == 0 })
            #expect(try await h.deadLetters().isEmpty)
        }
    }

    @Test func oddMessagesAreDeadLetteredWithReasonsAndTheWorkerKeepsGoing() async throws {
        try await WorkerHarness.with { h in
            let log = CallLog()
            registerRecording(h.registry, log) { i in i.arguments["user_pk"] == .int(404) ? .failure(reason: "unknown user") : .success(.null) }
            let expired = TaskMessage.newTask(name: "discord.update_groups", args: [.int(1)], queue: "services",
                                              expires: Date().addingTimeInterval(-5), origin: "test")
            let unknownUser = TaskMessage.newTask(name: "discord.update_groups", args: [.int(404)], queue: "services", origin: "test")
            try await h.cache.command(["SET", ":1:qo_discord.update_groups_user_pk-404", "x"])
            let badArgs = TaskMessage.newTask(name: "discord.update_groups", args: [.int(1), .int(2), .int(3)], queue: "services", origin: "test")
            let unknownTask = TaskMessage.newTask(name: "discord.no_such_task", queue: "services", origin: "test")
            for m in [expired, unknownUser, badArgs, unknownTask] { try await h.push(m.bytes, to: m.listKey) }
            for raw in ["not json {", "[1, 2]", "{\"body\": \"!!\", \"content-type\": \"application/json\", \"headers\": {\"task\": \"x\", \"id\": \"1\"}, \"properties\": {\"body_encoding\": \"base64\", \"delivery_tag\": \"t\", \"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"services\"}}}",
                        "{\"task\": \"discord.update_groups\", \"args\": [1], \"eta\": \"tomorrow\"}"] {
                try await h.push(Array(raw.utf8), to: "services")
            }
            let good = TaskMessage.newTask(name: "discord.update_groups", args: [.int(9)], queue: "services", origin: "test")
            try await h.push(good.bytes, to: good.listKey)
            try await h.runUntilIdle()

            let dead = try await h.deadLetters()
            let reasons = Dictionary(dead.map { ($0.letter.id, $0.letter.reason) }, uniquingKeysWith: { a, _ in a })
            #expect(reasons[expired.id] == "expired")
            #expect(reasons[unknownUser.id] == "unknown user")
            #expect(reasons[badArgs.id]?.hasPrefix("bad arguments:") == true)
            #expect(reasons[unknownTask.id] == "unknown task 'discord.no_such_task'")
            #expect(dead.count == 8)
            // Original bytes are kept byte for byte.
            #expect(dead.contains { $0.raw == Array("not json {".utf8) })
            #expect(dead.first { $0.letter.id == expired.id }?.raw == expired.bytes)
            // The good message still ran; the unknown user's once-lock was released at its final outcome.
            #expect(log.all.contains { $0.arguments["user_pk"] == .int(9) })
            #expect(try await h.cache.command(["EXISTS", ":1:qo_discord.update_groups_user_pk-404"]) == .integer(0))
        }
    }

    @Test func etaWaitsInTheDelayedSetAndResultsAreStoredTheCeleryWay() async throws {
        try await WorkerHarness.with { h in
            h.options.resultBackendURL = h.server.url(db: 2)
            let log = CallLog()
            registerRecording(h.registry, log) { _ in .success(.bool(true)) }
            let later = TaskMessage.newTask(name: "discord.update_groups", args: [.int(3)], queue: "services",
                                            eta: Date().addingTimeInterval(0.4), origin: "test")
            let ping = TaskMessage.newTask(name: "celery.ping", queue: "services", origin: "test")
            try await h.push(later.bytes, to: later.listKey)
            try await h.push(ping.bytes, to: ping.listKey)
            let started = Date()
            try await h.runUntilIdle()
            #expect(log.all.count == 1)
            #expect(Date().timeIntervalSince(started) >= 0.35)  // not run before its eta
            let results = h.server.client(db: 2)
            let meta = try await results.command(["GET", RedisArgument("celery-task-meta-\(ping.id)")])
            let parsed = try JSONValue.parse(meta.bytes ?? [])
            #expect(parsed["status"] == .string("SUCCESS") && parsed["result"] == .string("pong") && parsed["task_id"] == .string(ping.id))
            #expect(try await results.command(["TTL", RedisArgument("celery-task-meta-\(later.id)")]).int ?? 0 > 86_000)
            await results.close()
        }
    }

    @Test func twoTasksForTheSameUserNeverRunAtOnce() async throws {
        try await WorkerHarness.with { h in
            h.options.concurrency = 8
            let running = Mutex<[Int64: Int]>([:])
            let overlap = Mutex(0)
            let done = Mutex(0)
            h.registry.register(TaskDefinition(name: "discord.update_groups", parameters: [.required("user_pk"), .optional("state_name", default: .null)],
                                               usesOnceLock: true, userParameter: "user_pk") { i in
                let pk = i.int("user_pk")!
                let n = running.withLock { $0[pk, default: 0] += 1; return $0[pk]! }
                if n > 1 { overlap.withLock { $0 += 1 } }
                try await Task.sleep(for: .milliseconds(30))
                running.withLock { $0[pk, default: 0] -= 1 }
                done.withLock { $0 += 1 }
                return .success(.null)
            })
            for _ in 0..<4 {
                for pk in [7, 8] {
                    let m = TaskMessage.newTask(name: "discord.update_groups", args: [.int(Int64(pk))], queue: "services", origin: "test")
                    try await h.push(m.bytes, to: m.listKey)
                }
            }
            try await h.runUntilIdle()
            #expect(done.withLock { $0 } == 8)
            #expect(overlap.withLock { $0 } == 0)
        }
    }
}
