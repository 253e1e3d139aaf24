import Foundation
import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct DecodeFormsTests {
    let now = ISODate.parse("2026-11-25T17:00:00+00:00")!

    private func isUUID4(_ text: String) -> Bool {
        text.count == 36 && text == text.lowercased() && UUID(uuidString: text) != nil
            && Array(text)[14] == "4"
    }

    @Test func bareTaskName() throws {
        let message = try TaskMessage.decode(utf8("  discord.update_all_groups\n"), poppedFrom: "services")
        #expect(message.form == .bareName)
        #expect(message.task == "discord.update_all_groups")
        #expect(message.args == [])
        #expect(message.kwargs == [:])
        #expect(isUUID4(message.id))
        #expect(message.rootID == message.id)
        #expect(message.priority == 0)
        #expect(message.queue == "services")
        #expect(message.envelope == nil)
        #expect(message.listKey == "services")
        // Popped from a priority list: keeps that priority.
        let fromList = try TaskMessage.decode(utf8("celery.ping"), poppedFrom: "services" + sep + "4")
        #expect(fromList.priority == 4)
        #expect(fromList.queue == "services")
        #expect(try TaskMessage.decode(utf8("a:b-c_9"), poppedFrom: "q").task == "a:b-c_9")
    }

    @Test func plainJSON() throws {
        let text = #"{"task": "discord.update_groups", "args": [1], "kwargs": {"state_name": "Guest"}, "id": "abc", "priority": 2}"#
        let message = try TaskMessage.decode(utf8(text), poppedFrom: "services", now: now)
        #expect(message.form == .plainJSON)
        #expect(message.task == "discord.update_groups")
        #expect(message.id == "abc")
        #expect(message.args == [1])
        #expect(message.kwargs == ["state_name": "Guest"])
        #expect(message.priority == 2)
        #expect(message.eta == nil)
        #expect(message.retries == 0)
        #expect(message.queue == "services")
        // A stray "body" key does not make a plain task an envelope.
        let withBody = try TaskMessage.decode(utf8(#"{"task": "t", "body": "x"}"#), poppedFrom: "q")
        #expect(withBody.form == .plainJSON)
    }

    @Test func plainJSONDefaultsAndDates() throws {
        let minimal = try TaskMessage.decode(utf8(#"{"task": "celery.ping"}"#), poppedFrom: "q" + sep + "7", now: now)
        #expect(minimal.args == [])
        #expect(minimal.kwargs == [:])
        #expect(isUUID4(minimal.id))
        #expect(minimal.priority == 7)

        let countdown = try TaskMessage.decode(utf8(#"{"task": "t", "countdown": 30}"#), poppedFrom: "q", now: now)
        #expect(countdown.eta == now.addingTimeInterval(30))
        let fractional = try TaskMessage.decode(utf8(#"{"task": "t", "countdown": 1.5}"#), poppedFrom: "q", now: now)
        #expect(fractional.eta == now.addingTimeInterval(1.5))
        let etaSeconds = try TaskMessage.decode(utf8(#"{"task": "t", "eta": 60}"#), poppedFrom: "q", now: now)
        #expect(etaSeconds.eta == now.addingTimeInterval(60))
        let etaISO = try TaskMessage.decode(
            utf8(#"{"task": "t", "eta": "2026-11-25T18:00:00Z", "expires": "2026-11-25T19:00:00+01:00"}"#),
            poppedFrom: "q", now: now)
        #expect(etaISO.eta.map(ISODate.format) == "2026-11-25T18:00:00+00:00")
        #expect(etaISO.expires.map(ISODate.format) == "2026-11-25T18:00:00+00:00")
        let expiresSeconds = try TaskMessage.decode(utf8(#"{"task": "t", "expires": 300}"#), poppedFrom: "q", now: now)
        #expect(expiresSeconds.expires == now.addingTimeInterval(300))
        #expect(!expiresSeconds.isExpired(now: now))
        let both = try TaskMessage.decode(
            utf8(#"{"task": "t", "eta": "2030-01-01T00:00:00", "countdown": 5}"#), poppedFrom: "q", now: now)
        #expect(both.eta == now.addingTimeInterval(5))
    }

    @Test func envelopeWithPlainBodyString() throws {
        let body = #"[[7], {}, {}]"#
        let envelope: JSONValue = [
            "body": .string(body), "content-type": "application/json",
            "headers": ["task": "discord.update_groups", "id": "x1"],
            "properties": ["delivery_tag": "t", "delivery_info": ["exchange": "", "routing_key": "services"]],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "services")
        #expect(message.form == .protocol2)
        #expect(message.args == [7])
        #expect(message.embed == .empty)
        #expect(message.priority == 0)
        #expect(message.rootID == nil)
    }

    @Test func minimalEnvelopeFromSpec() throws {
        // The minimum a Celery 5.7 worker runs: content-type, headers {task, id}, properties {delivery_tag,
        // body_encoding, delivery_info {exchange, routing_key}}.
        let body = Base64.encode(utf8(#"[[1], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#))
        let envelope: JSONValue = [
            "body": .string(body), "content-type": "application/json",
            "headers": ["task": "discord.update_groups", "id": "abc"],
            "properties": [
                "delivery_tag": "tag", "body_encoding": "base64",
                "delivery_info": ["exchange": "", "routing_key": "services"],
            ],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "elsewhere")
        #expect(message.id == "abc")
        #expect(message.queue == "services")
        #expect(message.deliveryTag == "tag")
        #expect(message.retries == 0)
        #expect(message.ignoreResult == nil)
    }

    @Test func namedExchangeFallsBackToPoppedQueue() throws {
        let envelope: JSONValue = [
            "body": #"[[], {}, {}]"#, "content-type": "application/json",
            "headers": ["task": "t", "id": "i"],
            "properties": ["delivery_info": ["exchange": "celery", "routing_key": "rk"], "priority": 4],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "services" + sep + "4")
        #expect(message.queue == "services")
        #expect(message.routingKey == "rk")
        #expect(message.exchange == "celery")
    }

    @Test func protocol1() throws {
        let body: JSONValue = [
            "task": "tasks.add", "id": "p1-id", "args": [2, 3], "kwargs": [:], "group": nil, "group_index": nil,
            "retries": 2, "eta": "2030-01-01T00:00:00", "expires": nil, "utc": true,
            "callbacks": [
                [
                    "task": "tasks.mul", "args": [10], "kwargs": [:],
                    "options": ["task_id": "next-id", "link": [["task": "tasks.sub", "args": [1], "kwargs": [:], "options": ["task_id": "last-id"], "subtask_type": nil, "immutable": false]]],
                    "subtask_type": nil, "immutable": false,
                ]
            ],
            "errbacks": nil, "timelimit": [30, 20], "taskset": "grp", "chord": nil,
        ]
        let envelope: JSONValue = [
            "body": .string(Base64.encode(body.serialized())), "content-encoding": "utf-8",
            "content-type": "application/json", "headers": [:],
            "properties": [
                "correlation_id": "p1-id", "delivery_info": ["exchange": "", "routing_key": "celery"], "priority": 0,
                "body_encoding": "base64", "delivery_tag": "tag1",
            ],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "celery")
        #expect(message.form == .protocol1)
        #expect(message.task == "tasks.add")
        #expect(message.id == "p1-id")
        #expect(message.args == [2, 3])
        #expect(message.retries == 2)
        #expect(message.eta.map(ISODate.format) == "2030-01-01T00:00:00+00:00")
        #expect(message.group == "grp")
        #expect(message.timeLimit == TimeLimit(hard: 30, soft: 20))
        #expect(message.embed.chain == nil)
        #expect(message.embed.callbacks?.first?.task == "tasks.mul")
        #expect(message.embed.callbacks?.first?.taskID == "next-id")

        // The chain continues through callbacks: the callback's own link becomes its embed.callbacks.
        let published = message.callbackMessages(result: 5, origin: "gen1@host", route: { _ in nil })
        #expect(published.count == 1)
        let next = try TaskMessage.decode(published[0].bytes, poppedFrom: published[0].listKey)
        #expect(next.form == .protocol2)
        #expect(next.task == "tasks.mul")
        #expect(next.id == "next-id")
        #expect(next.args == [5, 10])
        #expect(next.parentID == "p1-id")
        #expect(next.rootID == "p1-id")
        #expect(next.embed.callbacks?.first?.taskID == "last-id")
        #expect(next.group == nil)
        #expect(next.queue == "celery")
        #expect(next.priority == 5)
    }

    @Test func zlibCompressedBodies() throws {
        // base64(zlib.compress(json.dumps([[1], {"user_pk": 1}, E]), level)) for levels 0 (stored), 1 and 9 (fixed Huffman).
        let compressed = [
            "eAEBWgCl/1tbMV0sIHsidXNlcl9wayI6IDF9LCB7ImNhbGxiYWNrcyI6IG51bGwsICJlcnJiYWNrcyI6IG51bGwsICJjaGFpbiI6IG51bGwsICJjaG9yZCI6IG51bGx9XSGBHTo=",
            "eAGLjjaM1VGoViotTi2KL8hWslIwrAXxkxNzcpISk7OLgSJ5pTk5OgpKqUVFaCLJGYmZeQgFyRn5RSlQbm0sACGBHTo=",
            "eNqLjjaM1VGoViotTi2KL8hWslIwrAXxkxNzcpISk7OLgSJ5pTk5OgpKqUVFaCLJGYmZecjc/KIUKLc2FgAhgR06",
        ]
        for body in compressed {
            let envelope: JSONValue = [
                "body": .string(body), "content-type": "application/json",
                "headers": ["task": "discord.update_groups", "id": "z", "compression": "application/x-gzip"],
                "properties": ["body_encoding": "base64", "delivery_info": ["exchange": "", "routing_key": "q"]],
            ]
            let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "q")
            #expect(message.args == [1])
            #expect(message.kwargs == ["user_pk": 1])
        }
    }

    @Test func zlibDynamicHuffman() throws {
        // zlib.compress(json.dumps([[[{"user_pk": i, "nickname": "Ember Thukker %d" % i, "ok": i % 3 == 0}
        //   for i in range(1, 30)]], {"note": "é😀"}, E]).encode(), 9): a dynamic-Huffman block.
        let body = "eNqFlM1ugzAQBl8F+ZyDd/nvvW/QG0ERAVeJIFCZ+FTl3etEURVxmFxsLex4v8Nom6b5NWF1/vAzmo9EdomZz/04dxcXS/N5OTqffJ3COMZbTPy93Pu+u2l1t13yyiqyimyKbPrPXn3YohmiGY7Nkc2RLZAtKHKJaIljK2QrZGtka4osls2wOFjeeMViCZslisFZLUl5NNslrJewX5JjcBZMCh7NjglLJmyZVBicNZOatwiLpiyasmgqFFzfbDBeYcqiKYumLJpmGJw9U15kyqIpi6YsmpYYnD1TXmfKoulWtLa98/NyfTTvg7Wu3oehSod4OmvN4/2+m6Zj149rbJrDNMU3nPebL/2pO8+v5eKHZ3lr/wAnQUGi"
        let envelope: JSONValue = [
            "body": .string(body), "content-type": "application/json",
            "headers": ["task": "t", "id": "z", "compression": "zlib"],
            "properties": ["body_encoding": "base64"],
        ]
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "q")
        let users = try #require(message.args.first?.arrayValue)
        #expect(users.count == 29)
        #expect(users[28] == ["user_pk": 29, "nickname": "Ember Thukker 29", "ok": false])
        #expect(message.kwargs == ["note": "é😀"])
    }

    @Test func redeliveredFlagIsRead() throws {
        var envelope = try Fixtures.envelope("update_groups_delay.json")
        var headers = envelope["headers"]!.objectValue!
        headers["redelivered"] = true
        envelope["headers"] = .object(headers)
        let message = try TaskMessage.decode(envelope.serialized(), poppedFrom: "discord")
        #expect(message.isRedelivered)
    }

    @Test func largeChainMessage() throws {
        // A 3,000-step AA bulk chain (the real 10,000-user one is 30,000 steps / 8.9 MB and is benchmarked, not tested).
        let chain = (2...3000).reversed().map { pk in
            Signature(
                task: "discord.update_groups", args: [.int(Int64(pk))],
                options: ["task_id": .string(UUID4.make()), "reply_to": "d8e9704f-1ecc-31f3-804d-3db19c0c40c6"],
                immutable: true)
        }
        let first = TaskMessage.newTask(
            name: "discord.update_groups", args: [1], queue: "services", priority: 6, origin: "gen1@vm",
            embed: Embed(chain: chain))
        let message = try TaskMessage.decode(first.bytes, poppedFrom: first.listKey)
        #expect(message.embed.chain?.count == 2999)
        let next = try #require(message.chainContinuation(result: nil, origin: "w@vm", route: { _ in "services" }))
        let decoded = try TaskMessage.decode(next.bytes, poppedFrom: next.listKey)
        #expect(decoded.args == [2])
        #expect(decoded.embed.chain?.count == 2998)
        #expect(decoded.embed.chain?.last?.args == [3])
    }
}
