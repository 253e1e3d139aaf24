import Foundation
import PythonCompat
import Testing
import TestSupport

/// Real Python Celery 5.7 (the app configured as Alliance Auth's) and the real discord-worker binary on one
/// private redis-server, each producing what the other consumes.
@Suite("Celery interop")
struct CeleryInteropTests {
    /// Python publishes (send_task/apply_async with priorities, countdown, expires past and future, a chain of
    /// celery.ping); discord-worker consumes all, and Python's AsyncResult.get() sees the results.
    @Test func pythonProducerDiscordWorkerConsumer() async throws {
        try await Harness.with { h in
            let producer = try await h.startPythonScript("interop_producer.py", ["python_to_swift"], name: "producer")
            let ready = try parseJSON(try await PythonCelery.awaitTaggedLine("READY", from: producer))
            let ids = try #require(ready["ids"]?.objectValue)
            let notBefore = try #require(ready["countdown_not_before"]?.numberValue)

            // Concurrency 1: messages run one at a time, so priority order shows in date_done.
            let worker = try h.startWorker(["run", "--exit-when-idle", "--concurrency", "1"], name: "swift", settings: h.resultBackend)
            #expect(try await h.exitCode(of: worker) == 0, "worker log:\n\(worker.log.suffix(3000))")

            let results = try parseJSON(try await PythonCelery.awaitTaggedLine("RESULT", from: producer, timeout: .seconds(90)))
            for name in ids.keys where name != "expired" {
                let result = results[name]
                #expect(result?["state"]?.stringValue == "SUCCESS", "\(name): \(result.map { "\($0)" } ?? "missing")")
                #expect(result?["value"]?.stringValue == "pong", "\(name): \(result.map { "\($0)" } ?? "missing")")
            }
            // Countdown respected: not run before its eta.
            let countdownDone = try #require(results["countdown"]?["date_done"]?.numberValue)
            #expect(countdownDone >= notBefore, "ran \(notBefore - countdownDone) s before its eta")
            // Lower number first, as kombu's priority steps 0..9 on Redis.
            let order = try [0, 3, 5, 9].map { try #require(results["send_task_p\($0)"]?["date_done"]?.numberValue) }
            #expect(order == order.sorted(), "priorities 0,3,5,9 finished at \(order)")

            // The expired message: not run, REVOKED for Python, dead-lettered with reason `expired`.
            #expect(results["expired"]?["state"]?.stringValue == "REVOKED", "\(results["expired"].map { "\($0)" } ?? "missing")")
            let expiredID = try #require(ids["expired"]?.stringValue)
            let letters = try await h.binary.deadLetters()
            #expect(letters.count == 1)
            let letter = try #require(letters.first { $0.id == expiredID })
            #expect(letter.reason == "expired")
            #expect(letter.task == "celery.ping")
            #expect(letter.message.contains(expiredID))

            // The chain ran step by step: every step's parent is the previous step.
            let chain = try (0..<3).map { try #require(ids["chain_\($0)"]?.stringValue) }
            let meta1 = try #require(try await h.resultMeta(chain[1]))
            let meta2 = try #require(try await h.resultMeta(chain[2]))
            #expect(meta1["parent_id"]?.stringValue == chain[0])
            #expect(meta2["parent_id"]?.stringValue == chain[1])

            let status = try await h.settledStatus()
            #expect(status.inFlight == 0 && status.delayed == 0 && status.depth("services") == 0)
            #expect(await producer.wait(timeout: .seconds(10)) == 0)
        }
    }

    /// `discord-worker enqueue` publishes a message a Python Celery worker accepts and runs.
    @Test func enqueuedMessageRunsOnPythonWorker() async throws {
        try await Harness.with { h in
            _ = try await h.startPythonWorker(queues: "pyq")
            let id = try await h.binary.enqueue("tests.add", ["--args", "[2, 3]", "--queue", "pyq"])
            let meta = try await h.awaitResult(id)
            #expect(meta["status"]?.stringValue == "SUCCESS")
            #expect(meta["result"] == .int(5))
        }
    }

    /// A retry published by discord-worker (same id, retries + 1, eta) is run by a Python worker.
    ///
    /// discord-worker (concurrency 1) runs the first attempt of `discord_worker.test.retry`, which asks for a
    /// counted retry (DISCORD_TASKS_RETRY_PAUSE=1), then starts a long sleep task from the same queue, so it
    /// takes nothing more. The retry message lands on the queue when due; only then does a Python worker
    /// join that queue, and it runs the retry.
    @Test func retryPublishedByDiscordWorkerRunsOnPythonWorker() async throws {
        try await Harness.with(Harness.testTasks.merging(["DISCORD_TASKS_RETRY_PAUSE": "1"]) { $1 }) { h in
            let retryID = try await h.binary.enqueue("discord_worker.test.retry", ["--kwargs", #"{"key": "tests:retry"}"#, "--queue", "pyretry"])
            let sleepID = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", #"[60, "tests:sleep"]"#, "--queue", "pyretry"])
            let swift = try h.startWorker(["run", "--queues", "pyretry", "--concurrency", "1"], name: "swift", settings: h.resultBackend)
            try await h.awaitList("tests:sleep", "the sleep task to start") { $0.contains("start:\(sleepID)") }

            // The first attempt (by discord-worker) is recorded and its retry is published.
            let attempts = try await h.list("tests:retry")
            let first = try #require(attempts.first.flatMap { try? JSONValue.parse($0) })
            #expect(first["worker"] == "swift" && first["retries"] == .int(0) && first["id"]?.stringValue == retryID)

            _ = try await h.startPythonWorker(queues: "pyretry")
            let meta = try await h.awaitResult(retryID)
            #expect(meta["status"]?.stringValue == "SUCCESS", "\(meta)")
            let facts = try #require(meta["result"])
            #expect(facts["id"]?.stringValue == retryID)
            #expect(facts["retries"] == .int(1))
            #expect(facts["parent_id"]?.stringValue == retryID)  // Celery's retry: parent is the task itself
            #expect(facts["root_id"]?.stringValue == retryID)
            #expect(facts["kwargs"]?["key"] == "tests:retry")

            let all = try await h.list("tests:retry").compactMap { try? JSONValue.parse($0) }
            #expect(all.map { $0["worker"]?.stringValue ?? "?" } == ["swift", "python"])
            await swift.killNow()
        }
    }

    /// A chain whose first step only discord-worker knows and whose second step is a Python task:
    /// discord-worker publishes the continuation, Python runs it with parent_id/root_id and the result
    /// prepended to its arguments.
    @Test func chainContinuationRunsOnPythonWorker() async throws {
        try await Harness.with(Harness.testTasks) { h in
            _ = try await h.startPythonWorker(queues: "pyq")
            let producer = try await h.startPythonScript("interop_producer.py", ["chain_to_python"], name: "producer")
            let ready = try parseJSON(try await PythonCelery.awaitTaggedLine("READY", from: producer))
            let step1 = try #require(ready["step1"]?.stringValue)
            let step2 = try #require(ready["step2"]?.stringValue)

            let swift = try h.startWorker(["run", "--queues", "swiftq", "--exit-when-idle"], name: "swift", settings: h.resultBackend)
            #expect(try await h.exitCode(of: swift) == 0, "worker log:\n\(swift.log.suffix(3000))")

            let results = try parseJSON(try await PythonCelery.awaitTaggedLine("RESULT", from: producer))
            #expect(results["step1"]?["value"] == .int(7), "\(results)")
            #expect(results["step2"]?["state"]?.stringValue == "SUCCESS", "\(results)")
            let facts = try #require(results["step2"]?["value"])
            #expect(facts["id"]?.stringValue == step2)
            #expect(facts["task"] == "tests.inspect_request")
            #expect(facts["parent_id"]?.stringValue == step1)
            #expect(facts["root_id"]?.stringValue == step1)
            #expect(facts["args"] == [7, 3])
            #expect(facts["queue"] == "pyq")
            #expect(try await h.list("tests:chain-step1") == ["7"])
        }
    }
}
