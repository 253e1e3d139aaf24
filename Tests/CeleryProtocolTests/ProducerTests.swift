import Foundation
import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct ProducerTests {
    static let aaReplyTo = "d8e9704f-1ecc-31f3-804d-3db19c0c40c6"
    static let workerReplyTo = "95445c7a-e6c3-3f57-89bd-8134f87cdce3"

    // MARK: newTask reproduces Python byte for byte

    @Test func applyAsyncWithArgsAndPriority0() throws {
        let message = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], id: "3a9bcf52-2b90-4601-860a-1d1e525e5b0b", queue: "discord",
            priority: 0, origin: "gen16858@vm", replyTo: Self.aaReplyTo, deliveryTag: "4617afb8-36bd-47f5-84dd-58ddaa07effe")
        #expect(message.bytes == (try Fixtures.bytes("update_groups_priority0.json")))
        #expect(message.listKey == "discord")
        #expect(message.id == "3a9bcf52-2b90-4601-860a-1d1e525e5b0b")
        #expect(message.priority == 0)
    }

    @Test func delayForms() throws {
        let delay = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], id: "31970bbc-09e5-4637-9d6d-cbf939fe6910", queue: "discord",
            origin: "gen16858@vm", argsrepr: pythonTupleRepr([1]), replyTo: Self.aaReplyTo,
            deliveryTag: "a77a31b4-4086-4fbe-a681-a2a4947a07e0")
        #expect(delay.bytes == (try Fixtures.bytes("update_groups_delay.json")))
        #expect(delay.listKey == "discord" + sep + "5")

        let deleteUser = TaskMessage.newTask(
            name: "discord.delete_user", args: [1], kwargs: ["notify_user": true],
            id: "994f131a-8bea-4205-9188-52f5d87ffce9", queue: "discord", origin: "gen16858@vm",
            argsrepr: "(1,)", replyTo: Self.aaReplyTo, deliveryTag: "a77a7f8a-f761-4d2e-aacd-ca90edbd9b46")
        #expect(deleteUser.bytes == (try Fixtures.bytes("delete_user_delay.json")))
    }

    @Test func serviceKwargsForm() throws {
        let message = TaskMessage.newTask(
            name: "discord.update_groups", kwargs: ["user_pk": 1, "state_name": "Guest"],
            id: "c335429e-1e72-46cf-bdee-02f7bbd4e599", queue: "discord", priority: 3, origin: "gen16858@vm",
            replyTo: Self.aaReplyTo, deliveryTag: "df9774ef-9429-4d92-8f38-d3ccaff943ea")
        #expect(message.bytes == (try Fixtures.bytes("svc_update_groups.json")))
        #expect(message.listKey == "discord" + sep + "3")
    }

    @Test func cliCallForm() throws {
        let message = TaskMessage.newTask(
            name: "discord.update_groups", kwargs: ["user_pk": 1], id: "40e041c8-288f-4896-be51-a0c2d4abc12e",
            queue: "discord", priority: 0, origin: "gen16904@vm", ignoreResult: nil,
            replyTo: "378104bc-e514-3bc7-a38c-38dc81e3c82f", deliveryTag: "d0d9c620-f048-4712-9b8b-07b290f79e56")
        #expect(message.bytes == (try Fixtures.bytes("cli_call_update_groups_kwargs_queue.json")))
    }

    @Test func etaAndExpires() throws {
        let eta = try #require(ISODate.parse("2026-11-25T17:14:31.047076+00:00"))
        let countdown = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], id: "505d9e98-c9d6-448e-b84b-822767f25cf8", queue: "discord",
            eta: eta, origin: "gen16858@vm", replyTo: Self.aaReplyTo,
            deliveryTag: "5b08759e-a4f1-4e7d-abf4-75c2f83db8bf")
        #expect(countdown.bytes == (try Fixtures.bytes("update_groups_countdown30.json")))
        #expect(countdown.eta == eta)

        let expires = try #require(ISODate.parse("2026-11-25T17:19:01.051356+00:00"))
        let expiring = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], id: "4d28aef4-bda6-4068-b9d3-36236e618c0d", queue: "discord",
            expires: expires, origin: "gen16858@vm", replyTo: Self.aaReplyTo,
            deliveryTag: "5a7d3031-3e81-4c5c-bd76-8134cb1ba972", now: expires.addingTimeInterval(-300))
        #expect(expiring.bytes == (try Fixtures.bytes("update_groups_expires300.json")))
    }

    @Test func bulkChainFirstMessage() throws {
        let chain = [
            Signature(
                task: "discord.update_groups", args: [3],
                options: ["task_id": "07961984-230b-408f-b6be-4008468b8e66", "reply_to": .string(Self.aaReplyTo)],
                immutable: true),
            Signature(
                task: "discord.update_groups", args: [2],
                options: ["task_id": "4534563a-3992-41f9-a479-5bdc424db706", "reply_to": .string(Self.aaReplyTo)],
                immutable: true),
        ]
        let message = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], id: "1673b988-137c-4bfc-8ab6-768450844fe6", queue: "discord",
            priority: 6, origin: "gen16858@vm", embed: Embed(chain: chain), argsrepr: "(1,)",
            replyTo: Self.aaReplyTo, deliveryTag: "44ef5a13-cc37-4044-9942-e290c87224fe")
        #expect(message.bytes == (try Fixtures.bytes("bulk_chain_internal.json")))
        #expect(message.listKey == "discord" + sep + "6")
    }

    @Test func newTaskWritesEveryHeaderAndDecodesBack() throws {
        let message = TaskMessage.newTask(
            name: "discord.update_nickname", args: [1], kwargs: ["nickname": "Ember Thukker 1 é"], queue: "services",
            priority: 4, origin: "gen1@host")
        let envelope = try #require(try JSONValue.parse(message.bytes).objectValue)
        #expect(envelope.keys == ["body", "content-encoding", "content-type", "headers", "properties"])
        #expect(envelope["headers"]?.objectValue?.keys == [
            "lang", "task", "id", "shadow", "eta", "expires", "group", "group_index", "retries", "timelimit", "root_id",
            "parent_id", "argsrepr", "kwargsrepr", "origin", "ignore_result", "replaced_task_nesting", "stamped_headers",
            "stamps",
        ])
        #expect(envelope["properties"]?.objectValue?.keys == [
            "correlation_id", "reply_to", "delivery_mode", "delivery_info", "priority", "body_encoding", "delivery_tag",
        ])
        #expect(envelope["headers"]?["kwargsrepr"] == "{'nickname': 'Ember Thukker 1 é'}")
        #expect(envelope["headers"]?["timelimit"] == [nil, nil])
        // ensure_ascii like json.dumps
        #expect(message.bytes.allSatisfy { $0 < 0x80 })

        let decoded = try TaskMessage.decode(message.bytes, poppedFrom: message.listKey)
        #expect(decoded.form == .protocol2)
        #expect(decoded.id == message.id)
        #expect(decoded.rootID == message.id)
        #expect(decoded.task == "discord.update_nickname")
        #expect(decoded.args == [1])
        #expect(decoded.kwargs == ["nickname": "Ember Thukker 1 é"])
        #expect(decoded.priority == 4)
        #expect(decoded.queue == "services")
        #expect(decoded.embed == .empty)
        #expect(decoded.properties["correlation_id"] == .string(message.id))
        #expect(decoded.deliveryTag != nil && decoded.deliveryTag != message.id)
        #expect(message.listKey == "services" + sep + "4")
    }

    @Test func argsreprIsTruncated() throws {
        let message = TaskMessage.newTask(
            name: "discord.update_groups_bulk", args: [.array((1...2000).map { .int(Int64($0)) })], queue: "services",
            origin: "gen1@host")
        let decoded = try TaskMessage.decode(message.bytes, poppedFrom: "services")
        let argsrepr = try #require(decoded.headers["argsrepr"]?.stringValue)
        #expect(argsrepr.count == 1024)
        #expect(argsrepr.hasSuffix("..."))
    }

    // MARK: Retry

    @Test func retryMatchesAAWorkerCapture() throws {
        // The original `update_username.delay(1)` as AA's worker received it.
        let original = TaskMessage.newTask(
            name: "discord.update_username", args: [1], id: "f44bd992-5e6b-468a-925f-be7f4aa74d89", queue: "discord",
            origin: "gen7790@vm", argsrepr: "(1,)", replyTo: Self.workerReplyTo, deliveryTag: "original-tag")
        let received = try TaskMessage.decode(original.bytes, poppedFrom: original.listKey)
        let eta = try #require(ISODate.parse("2026-11-25T17:20:17.715016+00:00"))
        let retry = received.retryMessage(eta: eta, origin: "gen7790@vm", deliveryTag: "d4abbfb7-5b23-4901-b6db-18945ce9d70e")
        #expect(retry.bytes == (try Fixtures.bytes("worker_07_lpush_update_username_r1.json")))
        #expect(retry.listKey == "discord" + sep + "5")
        #expect(retry.id == received.id)
        #expect(retry.eta == eta)
    }

    @Test func retryOfARetry() throws {
        let received = try TaskMessage.decode(
            try Fixtures.bytes("worker_07_lpush_update_username_r1.json"), poppedFrom: "discord" + sep + "5")
        let eta = try #require(ISODate.parse("2026-11-25T17:21:17+00:00"))
        let retry = received.retryMessage(eta: eta, origin: "gen1@elsewhere")
        let decoded = try TaskMessage.decode(retry.bytes, poppedFrom: retry.listKey)
        #expect(decoded.id == received.id)
        #expect(decoded.retries == 2)
        #expect(decoded.parentID == received.id)
        #expect(decoded.rootID == received.id)
        #expect(decoded.eta == eta)
        #expect(decoded.headers["eta"] == "2026-11-25T17:21:17+00:00")
        #expect(decoded.deliveryTag != received.deliveryTag)
        #expect(decoded.origin == "gen7790@vm")
        #expect(decoded.properties["origin"] == "gen7790@vm")
        #expect(decoded.properties.keys.firstIndex(of: "origin") == 2)
        #expect(decoded.envelope?["body"] == received.envelope?["body"])
    }

    @Test func retryKeepsEmbeddedChain() throws {
        let received = try TaskMessage.decode(
            try Fixtures.bytes("worker_00_lpush_update_groups_r0.json"), poppedFrom: "discord" + sep + "6")
        let retry = received.retryMessage(eta: Date(timeIntervalSince1970: 1_800_000_000), origin: "w@vm")
        let decoded = try TaskMessage.decode(retry.bytes, poppedFrom: retry.listKey)
        #expect(decoded.embed.chain == received.embed.chain)
        #expect(decoded.priority == 6)
        #expect(retry.listKey == "discord" + sep + "6")
        #expect(decoded.retries == 1)
        #expect(decoded.parentID == "c838e65c-2199-4066-9114-0ec356b3d167")
    }

    @Test func retryOfPlainMessageBecomesEnvelope() throws {
        let plain = try TaskMessage.decode(
            utf8(#"{"task": "discord.update_groups", "args": [5], "id": "p-1"}"#), poppedFrom: "services" + sep + "3")
        let retry = plain.retryMessage(eta: nil, origin: "gen2@host")
        let decoded = try TaskMessage.decode(retry.bytes, poppedFrom: retry.listKey)
        #expect(decoded.form == .protocol2)
        #expect(decoded.id == "p-1")
        #expect(decoded.retries == 1)
        #expect(decoded.eta == nil)
        #expect(decoded.args == [5])
        #expect(decoded.priority == 3)
        #expect(decoded.origin == "gen2@host")
        #expect(retry.listKey == "services" + sep + "3")
    }

    // MARK: Chains (Fixtures/celery-messages: bulk_chain_internal.json, worker_00…)

    @Test func chainContinuationMatchesAAWorker() throws {
        let first = try TaskMessage.decode(
            try Fixtures.bytes("worker_00_lpush_update_groups_r0.json"), poppedFrom: "discord" + sep + "6")
        let now = try #require(ISODate.parse("2026-11-25T17:30:00+00:00"))
        let continuation = try #require(
            first.chainContinuation(result: nil, origin: "gen9999@vm", now: now, route: { $0.hasPrefix("discord.") ? "discord" : nil }))
        #expect(continuation.id == "02733a5e-00b7-4f00-8539-12772577a321")
        #expect(continuation.listKey == "discord" + sep + "5")
        #expect(continuation.priority == 5)
        #expect(continuation.eta == nil)

        let second = try TaskMessage.decode(continuation.bytes, poppedFrom: continuation.listKey)
        #expect(second.task == "discord.update_groups")
        #expect(second.id == "02733a5e-00b7-4f00-8539-12772577a321")
        #expect(second.args == [2])
        #expect(second.kwargs == [:])
        #expect(second.parentID == "c838e65c-2199-4066-9114-0ec356b3d167")
        #expect(second.rootID == "c838e65c-2199-4066-9114-0ec356b3d167")
        #expect(second.origin == "gen9999@vm")
        #expect(second.retries == 0)
        #expect(second.headers["argsrepr"] == "[2]")
        #expect(second.replyTo == Self.workerReplyTo)
        #expect(second.ignoreResult == false)
        #expect(second.embed.chain?.count == 1)
        #expect(second.embed.chain?.first?.taskID == "a6d05634-d490-437b-8af6-dc94b58219f1")
        #expect(second.embed.callbacks == nil)

        // The last step carries "chain": [] (not null), then the chain ends.
        let third = try #require(second.chainContinuation(result: nil, origin: "gen9999@vm", route: { _ in "discord" }))
        let last = try TaskMessage.decode(third.bytes, poppedFrom: third.listKey)
        #expect(last.id == "a6d05634-d490-437b-8af6-dc94b58219f1")
        #expect(last.args == [3])
        #expect(last.parentID == "02733a5e-00b7-4f00-8539-12772577a321")
        #expect(last.rootID == "c838e65c-2199-4066-9114-0ec356b3d167")
        #expect(last.embed.chain == [])
        let body = try #require(last.envelope?["body"]?.stringValue)
        let bodyText = String(decoding: try Base64.decode(body).get(), as: UTF8.self)
        #expect(bodyText == #"[[3], {}, {"callbacks": null, "errbacks": null, "chain": [], "chord": null}]"#)
        #expect(last.chainContinuation(result: nil, origin: "x", route: { _ in nil }) == nil)
    }

    @Test func chainContinuationOptions() throws {
        let next = Signature(
            task: "tasks.mul", args: [10],
            options: ["task_id": "n1", "queue": "math", "priority": 2, "countdown": 10, "expires": 60,
                      "headers": ["custom": "x"], "link": [Signature(task: "tasks.log").json]])
        let fallback = Signature(task: "tasks.other", options: ["task_id": "n0"])
        let first = TaskMessage.newTask(
            name: "tasks.add", args: [2, 3], id: "root", queue: "celery", origin: "gen1@h",
            embed: Embed(chain: [fallback, next]))
        let received = try TaskMessage.decode(first.bytes, poppedFrom: first.listKey)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let out = try #require(received.chainContinuation(result: 5, origin: "w", now: now, route: { _ in "never" }))
        #expect(out.listKey == "math" + sep + "2")
        #expect(out.eta == now.addingTimeInterval(10))
        let decoded = try TaskMessage.decode(out.bytes, poppedFrom: out.listKey)
        #expect(decoded.args == [5, 10])  // mutable: result first
        #expect(decoded.expires == now.addingTimeInterval(60))
        #expect(decoded.properties["expiration"] == "60000")
        #expect(decoded.headers["custom"] == "x")
        #expect(decoded.embed.callbacks?.first?.task == "tasks.log")
        #expect(decoded.embed.chain?.map(\.task) == ["tasks.other"])

        // No queue option: route, then "celery"; no priority option: the default.
        let after = try #require(decoded.chainContinuation(result: nil, origin: "w", defaultPriority: 0, route: { _ in nil }))
        #expect(after.listKey == "celery")
        #expect(after.queue == "celery")
        let routed = try #require(decoded.chainContinuation(result: nil, origin: "w", route: { $0 == "tasks.other" ? "other" : nil }))
        #expect(routed.listKey == "other" + sep + "5")
        #expect(try TaskMessage.decode(routed.bytes, poppedFrom: "other").args == [nil])
    }

    // MARK: link / link_error

    @Test func callbacksAndErrbacks() throws {
        let link1 = Signature(task: "tasks.mul", args: [10])
        let link2 = Signature(task: "tasks.note", args: ["x"], immutable: true)
        let errback = Signature(task: "tasks.on_error", args: ["extra"])
        let message = TaskMessage.newTask(
            name: "tasks.add", args: [2, 3], id: "t-1", queue: "celery", origin: "gen1@h", rootID: "r-0",
            embed: Embed(callbacks: [link1, link2], errbacks: [errback]))
        let received = try TaskMessage.decode(message.bytes, poppedFrom: "celery")
        #expect(received.embed.callbacks?.count == 2)

        let callbacks = received.callbackMessages(result: 5, origin: "w", route: { _ in nil })
        #expect(callbacks.count == 2)
        let first = try TaskMessage.decode(callbacks[0].bytes, poppedFrom: callbacks[0].listKey)
        let second = try TaskMessage.decode(callbacks[1].bytes, poppedFrom: callbacks[1].listKey)
        #expect(first.args == [5, 10])
        #expect(second.args == ["x"])
        #expect(first.parentID == "t-1")
        #expect(first.rootID == "r-0")
        #expect(first.group != nil && first.group == second.group)
        #expect(first.groupIndex == 0)
        #expect(second.groupIndex == 1)
        #expect(first.id != second.id)

        let errbacks = received.errbackMessages(origin: "w", route: { _ in "errors" })
        #expect(errbacks.count == 1)
        let failed = try TaskMessage.decode(errbacks[0].bytes, poppedFrom: errbacks[0].listKey)
        #expect(failed.task == "tasks.on_error")
        #expect(failed.args == ["t-1", "extra"])
        #expect(failed.parentID == "t-1")
        #expect(failed.rootID == "t-1")
        #expect(failed.group != nil)
        #expect(failed.groupIndex == 0)
        #expect(failed.queue == "errors")

        let plain = try TaskMessage.decode(try Fixtures.bytes("update_groups_delay.json"), poppedFrom: "discord")
        #expect(plain.callbackMessages(result: nil, origin: "w", route: { _ in nil }).isEmpty)
        #expect(plain.errbackMessages(origin: "w", route: { _ in nil }).isEmpty)
    }

    // MARK: Redelivery and conversion

    @Test func redeliveredIsKombuRestore() throws {
        let raw = try Fixtures.bytes("update_groups_delay.json")
        let message = try TaskMessage.decode(raw, poppedFrom: "discord" + sep + "5")
        let restored = message.redelivered()
        let expected = String(decoding: raw, as: UTF8.self)
            .replacingOccurrences(of: #""stamps": {}}"#, with: #""stamps": {}, "redelivered": true}"#)
            .replacingOccurrences(of: #""routing_key": "discord"}"#, with: #""routing_key": "discord", "redelivered": true}"#)
        #expect(String(decoding: restored.bytes, as: UTF8.self) == expected)
        #expect(restored.listKey == "discord" + sep + "5")
        #expect(restored.id == message.id)
        let again = try TaskMessage.decode(restored.bytes, poppedFrom: restored.listKey)
        #expect(again.isRedelivered)
        #expect(again.deliveryTag == message.deliveryTag)
        // Restoring twice does not duplicate the flags.
        #expect(again.redelivered().bytes == restored.bytes)
    }

    @Test func redeliveredRepairsMissingDeliveryInfo() throws {
        let envelope: JSONValue = [
            "body": #"[[1], {}, {}]"#, "content-type": "application/json", "headers": ["task": "t", "id": "i"],
            "properties": ["priority": 3],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "services" + sep + "3")
        let restored = try TaskMessage.decode(message.redelivered().bytes, poppedFrom: "services")
        #expect(restored.routingKey == "services")
        #expect(restored.exchange == "")
        #expect(restored.deliveryTag != nil)
        #expect(restored.isRedelivered)
    }

    @Test func redeliveredHandMadeMessagesAreUnchanged() throws {
        let raw = utf8(#"{"task": "celery.ping"}"#)
        let plain = try TaskMessage.decode(raw, poppedFrom: "services" + sep + "2")
        #expect(plain.redelivered().bytes == raw)
        #expect(plain.redelivered().listKey == "services" + sep + "2")
        let bare = try TaskMessage.decode(utf8("discord.update_all_groups"), poppedFrom: "services")
        #expect(bare.redelivered().bytes == utf8("discord.update_all_groups"))
        #expect(bare.redelivered().listKey == "services")
    }

    @Test func toEnvelopeConvertsHandMadeMessages() throws {
        let now = try #require(ISODate.parse("2026-11-25T17:00:00+00:00"))
        let plain = try TaskMessage.decode(
            utf8(#"{"task": "discord.update_groups", "args": [1], "kwargs": {"state_name": "Guest"}, "countdown": 30, "expires": 600}"#),
            poppedFrom: "services" + sep + "3", now: now)
        let out = plain.toEnvelope(origin: "gen5@host", now: now)
        #expect(out.eta == now.addingTimeInterval(30))
        #expect(out.listKey == "services" + sep + "3")
        let decoded = try TaskMessage.decode(out.bytes, poppedFrom: out.listKey)
        #expect(decoded.form == .protocol2)
        #expect(decoded.id == plain.id)
        #expect(decoded.rootID == plain.id)
        #expect(decoded.args == [1])
        #expect(decoded.kwargs == ["state_name": "Guest"])
        #expect(decoded.eta == now.addingTimeInterval(30))
        #expect(decoded.expires == now.addingTimeInterval(600))
        #expect(decoded.priority == 3)
        #expect(decoded.origin == "gen5@host")
        #expect(decoded.headers["eta"] == "2026-11-25T17:00:30+00:00")
        #expect(decoded.properties["expiration"] == "600000")

        let bare = try TaskMessage.decode(utf8("discord.update_all_groups"), poppedFrom: "services")
        let bareOut = try TaskMessage.decode(bare.toEnvelope(origin: "g").bytes, poppedFrom: "services")
        #expect(bareOut.task == "discord.update_all_groups")
        #expect(bareOut.id == bare.id)
        #expect(bareOut.priority == 0)

        let raw = try Fixtures.bytes("update_groups_delay.json")
        let envelope = try TaskMessage.decode(raw, poppedFrom: "discord")
        #expect(envelope.toEnvelope(origin: "g").bytes == raw)
    }
}
