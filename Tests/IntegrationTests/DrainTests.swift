import Foundation
import PythonCompat
import Testing
import TestSupport

/// `discord-worker drain`: delayed work goes back onto its queue for a Python Celery worker (rollback).
@Suite("Drain")
struct DrainTests {
    @Test func drainMovesDelayedMessagesOntoTheirQueueWithTheirEta() async throws {
        try await Harness.with { h in
            let id = try await h.binary.enqueue("celery.ping", ["--countdown", "3600", "--queue", "services", "--priority", "0"])
            let worker = try h.startWorker(["run"], name: "delaying")
            try await waitUntil(timeout: .seconds(30), interval: .milliseconds(50), "the message in the delayed set") {
                try await h.binary.status().delayed == 1
            }
            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker, timeout: .seconds(30)) == 0, "log:\n\(worker.log.suffix(3000))")

            let out = try await h.binary.succeed(["drain"])
            #expect(out.contains("moved 1 delayed message(s)"), "\(out)")
            #expect(try await h.binary.status().delayed == 0)
            let waiting = try await h.list("services")
            #expect(waiting.count == 1)
            let envelope = try JSONValue.parse(try #require(waiting.first))
            #expect(envelope["headers"]?["id"]?.stringValue == id)
            #expect(envelope["headers"]?["eta"]?.stringValue != nil, "Celery holds it until its eta")

            let again = try await h.binary.succeed(["drain"])
            #expect(again.contains("moved 0 delayed message(s)"))
        }
    }
}
