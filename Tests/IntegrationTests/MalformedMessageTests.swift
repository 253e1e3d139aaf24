import Foundation
import PythonCompat
import Testing
import TestSupport

/// Every kind of bad message pushed by hand: each becomes a dead letter with its original bytes and a
/// reason, the worker keeps going, and a good message after them is processed.
@Suite("Malformed messages")
struct MalformedMessageTests {
    static let embed = #"{"callbacks": null, "errbacks": null, "chain": null, "chord": null}"#

    /// A kombu envelope as Python writes it, with parts replaced.
    static func envelope(task: String = "celery.ping", id: String = UUID().uuidString.lowercased(), body: String? = nil,
                         rawBody: String? = nil, contentType: String? = "application/json", eta: String = "null") -> String {
        let encoded = rawBody ?? Data((body ?? "[[], {}, \(embed)]").utf8).base64EncodedString()
        let contentTypeField = contentType.map { #""content-type": "\#($0)", "#} ?? ""
        return #"""
        {"body": "\#(encoded)", "content-encoding": "utf-8", \#(contentTypeField)"headers": {"lang": "py", "task": "\#(task)", \#
        "id": "\#(id)", "shadow": null, "eta": \#(eta), "expires": null, "group": null, "group_index": null, "retries": 0, \#
        "timelimit": [null, null], "root_id": "\#(id)", "parent_id": null, "argsrepr": "()", "kwargsrepr": "{}", \#
        "origin": "gen1@test", "ignore_result": false}, "properties": {"correlation_id": "\#(id)", "reply_to": "r", \#
        "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "services"}, "priority": 0, \#
        "body_encoding": "base64", "delivery_tag": "\#(UUID().uuidString.lowercased())"}}
        """#
    }

    /// (what, message, a word its reason must contain)
    static let cases: [(String, String, String)] = [
        ("invalid JSON", #"{"body": "abc", "content-type": "#, "JSON"),
        ("JSON array", #"[1, 2, 3]"#, "list"),
        ("missing content-type", envelope(contentType: nil), "content-type"),
        ("bad base64", envelope(rawBody: "!!not*base64!!"), "base64"),
        ("two-element body", envelope(body: "[[], {}]"), "body"),
        ("msgpack content type", envelope(contentType: "application/x-msgpack"), "msgpack"),
        ("eta tomorrow", envelope(eta: #""tomorrow""#), "eta"),
        ("unknown task (in our namespace; others are forwarded)", envelope(task: "discord.no_such_task"), "unknown task"),
        ("too many arguments", envelope(body: "[[1], {}, \(embed)]"), "argument"),
        ("unexpected keyword", envelope(body: #"[[], {"x": 1}, \#(embed)]"#), "argument"),
        ("args not a list", envelope(body: #"[{"a": 1}, {}, \#(embed)]"#), "args"),
        ("kwargs not an object", envelope(body: "[[], [], \(embed)]"), "kwargs"),
        ("missing required argument", envelope(task: "discord.update_groups"), "user_pk"),
    ]

    @Test func everyBadMessageIsDeadLetteredAndTheWorkerGoesOn() async throws {
        try await Harness.with { h in
            for (_, message, _) in Self.cases { try await h.lpush("services", Array(message.utf8)) }
            // Oversized: over the 32 MiB limit (TaskMessage.maxBytes), pushed as one element.
            let oversized = #"{"task": "celery.ping", "args": [""# + String(repeating: "x", count: 32 * 1024 * 1024) + #""]}"#
            try await h.lpush("services", Array(oversized.utf8))
            let goodID = try await h.binary.enqueue("celery.ping")

            let worker = try h.startWorker(["run", "--exit-when-idle"], name: "worker", settings: h.resultBackend)
            #expect(try await h.exitCode(of: worker, timeout: .seconds(60)) == 0, "log:\n\(worker.log.suffix(3000))")
            let good = try await h.awaitResult(goodID)
            #expect(good["status"] == "SUCCESS" && good["result"] == "pong")

            let letters = try await h.binary.deadLetters()
            #expect(letters.count == Self.cases.count + 1)
            for (what, message, word) in Self.cases {
                let letter = letters.first { $0.message == message }
                #expect(letter != nil, "\(what): no dead letter with the original bytes")
                guard let letter else { continue }
                #expect(letter.reason.localizedCaseInsensitiveContains(word), "\(what): reason '\(letter.reason)' does not mention \(word)")
                #expect(letter.queue == "services", "\(what)")
                #expect(ISO8601DateFormatter.withFractions.date(from: letter.at) != nil, "\(what): at '\(letter.at)'")
            }
            let big = letters.first { $0.message.count > 32 * 1024 * 1024 }
            #expect(big?.message == oversized, "the oversized message is kept whole")
            #expect(big?.reason.contains("bytes") == true, "\(big?.reason ?? "no oversized dead letter")")

            let status = try await h.binary.status()
            #expect(status.inFlight == 0 && status.depth("services") == 0 && status.deadLetters == Self.cases.count + 1)
        }
    }
}

extension ISO8601DateFormatter {
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
