import Foundation
import PythonCompat
import Testing
import TestSupport

/// The command line as an operator uses it: exit codes, one-line errors, JSON outputs.
@Suite("Command line")
struct CommandLineTests {
    @Test func enqueuePrintsTheIdOfAProtocol2Envelope() async throws {
        try await Harness.with { h in
            let id = try await h.binary.enqueue("discord.update_groups", ["--kwargs", #"{"user_pk": 1, "state_name": "Guest"}"#, "--priority", "3"])
            #expect(UUID(uuidString: id) != nil, "printed '\(id)'")
            let stored = try await h.list("services\u{06}\u{16}3")
            #expect(stored.count == 1)
            let envelope = try JSONValue.parse(try #require(stored.first))
            #expect(envelope["content-type"] == "application/json")
            #expect(envelope["content-encoding"] == "utf-8")
            let headers = try #require(envelope["headers"])
            #expect(headers["task"] == "discord.update_groups")
            #expect(headers["id"]?.stringValue == id && headers["root_id"]?.stringValue == id)
            #expect(headers["lang"] == "py" && headers["retries"] == .int(0) && headers["parent_id"] == .null)
            #expect(headers["timelimit"] == [.null, .null])
            #expect(headers["argsrepr"]?.stringValue != nil && headers["kwargsrepr"]?.stringValue != nil)
            #expect(headers["origin"]?.stringValue?.isEmpty == false)
            let properties = try #require(envelope["properties"])
            #expect(properties["correlation_id"]?.stringValue == id)
            #expect(properties["delivery_info"] == ["exchange": "", "routing_key": "services"])
            #expect(properties["priority"] == .int(3) && properties["body_encoding"] == "base64")
            #expect(UUID(uuidString: properties["delivery_tag"]?.stringValue ?? "") != nil)
            let bodyText = try #require(envelope["body"]?.stringValue)
            let body = try JSONValue.parse(Array(try #require(Data(base64Encoded: bodyText))))
            #expect(body[0] == [])
            #expect(body[1] == ["user_pk": 1, "state_name": "Guest"])
            let embed = try #require(body[2]?.objectValue)
            #expect(Set(embed.keys) == ["callbacks", "errbacks", "chain", "chord"])
            #expect(body[3] == nil, "three elements")
        }
    }

    /// Routing comes from the configuration: without `--queue`, `enqueue` publishes to the first of
    /// DISCORD_WORKER_QUEUES (`discord.*` as AA's task_routes would, and any other name), and a worker of
    /// that configuration runs it; `--queue` wins.
    @Test func enqueuePublishesToTheConfiguredQueue() async throws {
        try await Harness.with(["DISCORD_WORKER_QUEUES": "discord,services", "DISCORD_WORKER_ENABLE_TEST_TASKS": "1"]) { h in
            let routed = try await h.binary.enqueue("discord.update_groups", ["--args", "[1]", "--priority", "3"])
            let stored = try await h.list("discord\u{06}\u{16}3")
            #expect(stored.count == 1)
            let envelope = try JSONValue.parse(try #require(stored.first))
            #expect(envelope["headers"]?["id"]?.stringValue == routed)
            #expect(envelope["properties"]?["delivery_info"]?["routing_key"] == "discord")
            #expect(try await h.list("services\u{06}\u{16}3").isEmpty)
            _ = try await h.binary.enqueue("discord.update_groups", ["--args", "[2]", "--queue", "other"])
            #expect(try await h.list("other\u{06}\u{16}5").count == 1)
            try await h.client.command(["DEL", "discord\u{06}\u{16}3", "other\u{06}\u{16}5"])

            _ = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["tests:routed", "ran"]"#])
            #expect(try await h.list("discord\u{06}\u{16}5").count == 1)
            let worker = try h.startWorker(["run", "--exit-when-idle"], name: "worker")
            #expect(try await h.exitCode(of: worker) == 0, "log:\n\(worker.log.suffix(3000))")
            #expect(try await h.list("tests:routed") == ["ran"])
        }
    }

    @Test func badArgumentsExitTwoWithOneLine() async throws {
        try await Harness.with { h in
            for args in [["--args", "{not json"], ["--kwargs", "[1]"], ["--args", "[1, 2, 3]"], ["--priority", "12"]] {
                let result = try await h.binary.run(["enqueue", "discord.update_groups"] + args)
                #expect(result.exitCode == 2, "\(args): exit \(result.exitCode)")
                let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
                #expect(lines.first?.contains("Error") == true || lines.first?.contains("discord-worker") == true, "\(args): \(result.stderr)")
                #expect(lines.count == 1, "\(args): \(result.stderr)")
                #expect(result.stdout.isEmpty)
            }
            #expect(try await h.list("services\u{06}\u{16}5").isEmpty, "nothing was published")
        }
    }

    @Test func badConfigurationNamesTheVariableNeverTheSecret() async throws {
        try await Harness.with { h in
            let token = "MTAx.secret-part with spaces"
            let result = try await h.binary.run(["status"], settings: ["DISCORD_BOT_TOKEN": token])
            #expect(result.exitCode == 2)
            let line = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!line.contains("\n"), "one line: \(line)")
            #expect(line.contains("DISCORD_BOT_TOKEN"))
            #expect(!line.contains("secret-part") && !line.contains("MTAx"), "the token leaked: \(line)")

            let concurrency = try await h.binary.run(["run"], settings: ["DISCORD_WORKER_CONCURRENCY": "lots"])
            #expect(concurrency.exitCode == 2)
            #expect(concurrency.stderr.contains("DISCORD_WORKER_CONCURRENCY"))
            #expect(concurrency.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)

            let broker = try await h.binary.run(["status"], settings: ["BROKER_URL": "http://nowhere"])
            #expect(broker.exitCode == 2 && broker.stderr.contains("BROKER_URL"))
        }
    }

    @Test func deadLettersRequeueAndPurge() async throws {
        try await Harness.with { h in
            // Without the test tasks, `discord_worker.test.record` is an unknown task: dead-lettered.
            let id = try await h.binary.enqueue("discord_worker.test.record", ["--args", #"["tests:requeued", "back"]"#])
            let first = try h.startWorker(["run", "--exit-when-idle"], name: "first")
            #expect(try await h.exitCode(of: first) == 0)
            let letters = try await h.binary.deadLetters()
            #expect(letters.count == 1 && letters.first?.id == id && letters.first?.reason.contains("unknown task") == true)

            #expect(try await h.binary.succeed(["dead-letters", "requeue", "--all"]).contains("requeued 1"))
            var status = try await h.binary.status()
            #expect(status.deadLetters == 0 && status.depth("services") == 1)

            // Now a worker that knows the task runs the very same message.
            let second = try h.startWorker(["run", "--exit-when-idle"], name: "second", settings: Harness.testTasks)
            #expect(try await h.exitCode(of: second) == 0)
            #expect(try await h.list("tests:requeued") == ["back"])

            _ = try await h.binary.enqueue("tests.unknown")
            let third = try h.startWorker(["run", "--exit-when-idle"], name: "third", settings: ["DISCORD_WORKER_FOREIGN_TASKS": "dead-letter"])
            #expect(try await h.exitCode(of: third) == 0)
            #expect(try await h.binary.status().deadLetters == 1)
            #expect(try await h.binary.succeed(["dead-letters", "purge"]).contains("purged 1"))
            status = try await h.binary.status()
            #expect(status.deadLetters == 0)
            #expect(try await h.binary.deadLetters().isEmpty)

            let missing = try await h.binary.run(["dead-letters", "requeue", "no-such-id"])
            #expect(missing.exitCode != 0)
        }
    }

    @Test func statusJSONHasTheDocumentedKeys() async throws {
        try await Harness.with { h in
            _ = try await h.binary.enqueue("celery.ping", ["--priority", "0"])
            let result = try await h.binary.run(["status", "--json"])
            #expect(result.exitCode == 3, "no live worker")
            let out = result.stdout
            let object = try #require(try JSONValue.parse(Array(out.utf8)).objectValue)
            #expect(Set(object.keys).isSuperset(of: ["queues", "delayed", "in_flight", "dead_letters", "workers", "bulk"]))
            #expect(object["queues"]?["services"]?["0"] == .int(1))
            #expect(object["delayed"] == .int(0) && object["in_flight"] == .int(0) && object["dead_letters"] == .int(0))
            #expect(object["workers"] == [] && object["bulk"] == [])
        }
    }
}
