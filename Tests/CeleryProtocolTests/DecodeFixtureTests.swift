import Foundation
import Testing
import PythonCompat
@testable import CeleryProtocol

/// Every captured AA message decodes with the right fields.
@Suite struct DecodeFixtureTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        var task: String
        var id: String
        var args: [JSONValue]
        var kwargs: JSONObject
        var priority: Int
        var eta: String? = nil
        var expires: String? = nil
        var retries = 0
        var parentID: String? = nil
        var chain: [(task: String, args: [JSONValue], taskID: String)]? = nil
        var ignoreResult: Bool? = false
        var origin = "gen16858@vm"

        var testDescription: String { file }
    }

    static let expectations: [Expectation] = fixtureExpectations
}

let fixtureExpectations: [DecodeFixtureTests.Expectation] = [
        .init(
            file: "update_groups_delay.json", task: "discord.update_groups", id: "31970bbc-09e5-4637-9d6d-cbf939fe6910",
            args: [1], kwargs: [:], priority: 5),
        .init(
            file: "delete_user_delay.json", task: "discord.delete_user", id: "994f131a-8bea-4205-9188-52f5d87ffce9",
            args: [1], kwargs: ["notify_user": true], priority: 5),
        .init(
            file: "update_all_groups_delay.json", task: "discord.update_all_groups",
            id: "c257dc42-61b5-407a-a5d5-e5397ad06958", args: [], kwargs: [:], priority: 5),
        .init(
            file: "update_groups_bulk_delay.json", task: "discord.update_groups_bulk",
            id: "e12596d4-4e41-4ad4-959b-1674b63ab84e", args: [[1, 2, 3]], kwargs: [:], priority: 5),
        .init(
            file: "update_groups_countdown30.json", task: "discord.update_groups",
            id: "505d9e98-c9d6-448e-b84b-822767f25cf8", args: [1], kwargs: [:], priority: 5,
            eta: "2026-11-25T17:14:31.047076+00:00"),
        .init(
            file: "update_groups_priority0.json", task: "discord.update_groups",
            id: "3a9bcf52-2b90-4601-860a-1d1e525e5b0b", args: [1], kwargs: [:], priority: 0),
        .init(
            file: "update_groups_priority9.json", task: "discord.update_groups",
            id: "11252f71-1cce-4373-974c-d1e0d6a816a2", args: [1], kwargs: [:], priority: 9),
        .init(
            file: "update_groups_expires300.json", task: "discord.update_groups",
            id: "4d28aef4-bda6-4068-b9d3-36236e618c0d", args: [1], kwargs: [:], priority: 5,
            expires: "2026-11-25T17:19:01.051356+00:00"),
        .init(
            file: "bulk_chain_internal.json", task: "discord.update_groups", id: "1673b988-137c-4bfc-8ab6-768450844fe6",
            args: [1], kwargs: [:], priority: 6,
            chain: [
                ("discord.update_groups", [3], "07961984-230b-408f-b6be-4008468b8e66"),
                ("discord.update_groups", [2], "4534563a-3992-41f9-a479-5bdc424db706"),
            ]),
        .init(
            file: "svc_update_groups.json", task: "discord.update_groups", id: "c335429e-1e72-46cf-bdee-02f7bbd4e599",
            args: [], kwargs: ["user_pk": 1, "state_name": "Guest"], priority: 3),
        .init(
            file: "svc_sync_nickname.json", task: "discord.update_nickname", id: "00a8a922-bd97-432d-b24b-59f20e2a3047",
            args: [], kwargs: ["user_pk": 1, "nickname": "Ember Thukker 1"], priority: 3),
        .init(
            file: "cli_call_update_groups_kwargs_queue.json", task: "discord.update_groups",
            id: "40e041c8-288f-4896-be51-a0c2d4abc12e", args: [], kwargs: ["user_pk": 1], priority: 0,
            ignoreResult: nil, origin: "gen16904@vm"),
        .init(
            file: "worker_00_lpush_update_groups_r0.json", task: "discord.update_groups",
            id: "c838e65c-2199-4066-9114-0ec356b3d167", args: [1], kwargs: [:], priority: 6,
            chain: [
                ("discord.update_groups", [3], "a6d05634-d490-437b-8af6-dc94b58219f1"),
                ("discord.update_groups", [2], "02733a5e-00b7-4f00-8539-12772577a321"),
            ], origin: "gen7790@vm"),
        .init(
            file: "worker_07_lpush_update_username_r1.json", task: "discord.update_username",
            id: "f44bd992-5e6b-468a-925f-be7f4aa74d89", args: [1], kwargs: [:], priority: 5,
            eta: "2026-11-25T17:20:17.715016+00:00", retries: 1, parentID: "f44bd992-5e6b-468a-925f-be7f4aa74d89",
            origin: "gen7790@vm"),
]

extension DecodeFixtureTests {
    @Test func everyFixtureHasAnExpectation() {
        #expect(Set(Self.expectations.map(\.file)) == Set(Fixtures.messageNames))
    }

    @Test(arguments: fixtureExpectations)
    func decodes(_ expected: Expectation) throws {
        let raw = try Fixtures.bytes(expected.file)
        let message = try TaskMessage.decode(raw, poppedFrom: "discord")
        #expect(message.form == .protocol2)
        #expect(message.task == expected.task)
        #expect(message.id == expected.id)
        #expect(message.args == expected.args)
        #expect(message.kwargs == expected.kwargs)
        #expect(message.kwargs.keys == expected.kwargs.keys)
        #expect(message.priority == expected.priority)
        #expect(message.queue == "discord")
        #expect(message.routingKey == "discord")
        #expect(message.exchange == "")
        #expect(message.eta.map(ISODate.format) == expected.eta)
        #expect(message.expires.map(ISODate.format) == expected.expires)
        #expect(message.retries == expected.retries)
        #expect(message.rootID == expected.id)
        #expect(message.parentID == expected.parentID)
        #expect(message.group == nil)
        #expect(message.ignoreResult == expected.ignoreResult)
        #expect(message.origin == expected.origin)
        #expect(message.timeLimit == .none)
        #expect(message.isRedelivered == false)
        #expect(message.deliveryTag?.count == 36)
        #expect(message.rawBytes == raw)
        #expect(message.envelope?["headers"]?["stamps"] == [:])
        #expect(message.embed.callbacks == nil)
        #expect(message.embed.errbacks == nil)
        #expect(message.embed.chord == nil)
        if let chain = expected.chain {
            let decoded = try #require(message.embed.chain)
            #expect(decoded.count == chain.count)
            for (signature, step) in zip(decoded, chain) {
                #expect(signature.task == step.task)
                #expect(signature.args == step.args)
                #expect(signature.kwargs == [:])
                #expect(signature.taskID == step.taskID)
                #expect(signature.immutable)
                #expect(signature.subtaskType == nil)
                #expect(signature.options.keys == ["task_id", "reply_to"])
            }
        } else {
            #expect(message.embed.chain == nil)
        }
        // The list key it belongs on is the one it was captured from.
        let expectedKey = expected.priority == 0 ? "discord" : "discord" + sep + "\(expected.priority)"
        #expect(message.listKey == expectedKey)
    }

    @Test func listKeyAsPoppedFromIsAccepted() throws {
        let message = try TaskMessage.decode(try Fixtures.bytes("svc_update_groups.json"), poppedFrom: "discord" + sep + "3")
        #expect(message.queue == "discord")
        #expect(message.poppedFrom == "discord" + sep + "3")
        #expect(message.priority == 3)
    }

    @Test func expiresIsCheckedAgainstNow() throws {
        let message = try TaskMessage.decode(try Fixtures.bytes("update_groups_expires300.json"), poppedFrom: "discord")
        let expires = try #require(ISODate.parse("2026-11-25T17:19:01.051356+00:00"))
        #expect(!message.isExpired(now: expires.addingTimeInterval(-1)))
        #expect(message.isExpired(now: expires))
    }
}
