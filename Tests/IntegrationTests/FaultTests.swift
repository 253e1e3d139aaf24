import Foundation
import PythonCompat
import Testing
import TestSupport

/// The built binary under faults: kill -9 mid-task, Redis restarted underneath, SIGTERM while working.
@Suite("Faults")
struct FaultTests {
    /// kill -9 in the middle of a task: another worker (short lease) takes its messages over and completes
    /// them. Nothing is lost and nothing stays in flight.
    @Test func sigkillMidTaskLosesNothing() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "2"]) { $1 }
        try await Harness.with(settings) { h in
            let sleepID = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", #"[1.5, "tests:kill"]"#])
            for n in 1...5 {
                _ = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["tests:records", \#(n)]"#])
            }
            let a = try h.startWorker(["run"], name: "worker-a", settings: h.resultBackend)
            try await h.awaitList("tests:kill", "worker A to start the sleep task") { $0.contains("start:\(sleepID)") }
            a.signal(SIGKILL)
            #expect(await a.wait(timeout: .seconds(10)) == 137)
            let afterKill = try await h.binary.status()
            #expect(afterKill.inFlight >= 1, "A's lease on the sleep task is still recorded")

            let b = try h.startWorker(["run", "--exit-when-idle"], name: "worker-b", settings: h.resultBackend)
            #expect(try await h.exitCode(of: b, timeout: .seconds(60)) == 0, "B log:\n\(b.log.suffix(3000))")
            #expect(b.log.contains("took over messages of a dead worker"))

            let trace = try await h.list("tests:kill")
            #expect(trace.last == "done:\(sleepID)", "\(trace)")
            #expect(trace.filter { $0 == "start:\(sleepID)" }.count == 2, "started by A, then again by B: \(trace)")
            #expect(try await h.awaitResult(sleepID)["status"] == "SUCCESS")
            #expect(Set(try await h.list("tests:records")) == Set((1...5).map(String.init)))

            let status = try await h.settledStatus()
            #expect(status.inFlight == 0)
            #expect(status.depth("services") == 0 && status.delayed == 0 && status.deadLetters == 0)
            #expect(!status.workers.contains { !$0.alive }, "the dead worker was unregistered when its messages were taken over")
        }
    }

    /// redis-server restarted (same port, data gone) under a running worker: it resumes by itself.
    @Test func resumesAfterRedisRestart() async throws {
        try await Harness.with(Harness.testTasks) { h in
            let worker = try h.startWorker(["run"], name: "worker")
            try await waitUntil(timeout: .seconds(20), "the worker to register") { try await h.binary.status().workers.count == 1 }
            _ = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["tests:before", "one"]"#])
            try await h.awaitList("tests:before", "the first message to be processed") { $0 == ["one"] }

            try await h.redis.restart()
            _ = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["tests:after", "two"]"#])
            try await h.awaitList("tests:after", timeout: .seconds(30), "a message enqueued after the restart to be processed") { $0 == ["two"] }
            #expect(worker.isRunning)
            #expect(try await h.binary.status().deadLetters == 0, "nothing failed because of the restart")
            try await waitUntil(timeout: .seconds(20), "the worker to register again") { try await h.binary.status().workers.count == 1 }

            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0, "log:\n\(worker.log.suffix(3000))")
        }
    }

    /// SIGTERM while a task runs: it finishes within the grace period, the worker exits 0, and a message it
    /// had not started is back in its queue.
    @Test func sigtermFinishesRunningTaskAndReturnsTheRest() async throws {
        try await Harness.with(Harness.testTasks) { h in
            let sleepID = try await h.binary.enqueue("discord_worker.test.sleep", ["--args", #"[1.5, "tests:term"]"#])
            let waitingID = try await h.binary.enqueue("celery.ping")
            let worker = try h.startWorker(["run", "--concurrency", "1"], name: "worker")
            try await h.awaitList("tests:term", "the sleep task to start") { $0.contains("start:\(sleepID)") }

            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker, timeout: .seconds(30)) == 0, "log:\n\(worker.log.suffix(3000))")
            #expect(try await h.list("tests:term") == ["start:\(sleepID)", "done:\(sleepID)"])

            let status = try await h.binary.status()
            #expect(status.depth("services") == 1)
            #expect(status.inFlight == 0 && status.workers.isEmpty)
            let waiting = try await h.list("services\u{06}\u{16}5")
            #expect(waiting.count == 1 && waiting.first?.contains(waitingID) == true)
        }
    }
}
