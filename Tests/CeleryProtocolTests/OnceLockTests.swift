import Testing
import PythonCompat
@testable import CeleryProtocol

/// celery_once's keys as AA 5.5 takes them, and the lock notes of Fixtures/celery-messages/README.md.
@Suite struct OnceLockTests {
    static let updateGroups = ["user_pk", "state_name"]
    static let updateNickname = ["user_pk", "nickname"]
    static let deleteUser = ["user_pk", "notify_user"]

    @Test func specTable() {
        // update_groups.delay(1), apply_async(args=[1]), chain step .si(1)
        #expect(OnceLock.key(task: "discord.update_groups", parameters: Self.updateGroups, args: [1], kwargs: [:])
            == ":1:qo_discord.update_groups_user_pk-1")
        // DiscordService.update_groups
        #expect(OnceLock.key(task: "discord.update_groups", parameters: Self.updateGroups, args: [], kwargs: ["user_pk": 1, "state_name": "Guest"])
            == ":1:qo_discord.update_groups_state_name-Guest_user_pk-1")
        // delete_user.delay(1, notify_user=True) or the kwargs form
        #expect(OnceLock.key(task: "discord.delete_user", parameters: Self.deleteUser, args: [1], kwargs: ["notify_user": true])
            == ":1:qo_discord.delete_user_notify_user-True_user_pk-1")
        #expect(OnceLock.key(task: "discord.delete_user", parameters: Self.deleteUser, args: [], kwargs: ["user_pk": 1, "notify_user": true])
            == ":1:qo_discord.delete_user_notify_user-True_user_pk-1")
        // DiscordService.sync_nickname: spaces kept
        #expect(OnceLock.key(task: "discord.update_nickname", parameters: Self.updateNickname, args: [], kwargs: ["user_pk": 1, "nickname": "Ember Thukker 1"])
            == ":1:qo_discord.update_nickname_nickname-Ember Thukker 1_user_pk-1")
        #expect(OnceLock.key(task: "discord.update_nickname", parameters: Self.updateNickname, args: [1], kwargs: [:])
            == ":1:qo_discord.update_nickname_user_pk-1")
        #expect(OnceLock.key(task: "discord.update_username", parameters: ["user_pk"], args: [1], kwargs: [:])
            == ":1:qo_discord.update_username_user_pk-1")
        #expect(OnceLock.key(task: "discord.update_servername", parameters: [], args: [], kwargs: [:])
            == ":1:qo_discord.update_servername")
        // The CLI's kwargs form maps to the same key as .delay(1).
        #expect(OnceLock.key(task: "discord.update_groups", parameters: Self.updateGroups, args: [], kwargs: ["user_pk": 1])
            == ":1:qo_discord.update_groups_user_pk-1")
    }

    @Test(arguments: [
        ("update_groups_delay.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("delete_user_delay.json", ":1:qo_discord.delete_user_notify_user-True_user_pk-1"),
        ("update_groups_countdown30.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("update_groups_priority0.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("update_groups_priority9.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("update_groups_expires300.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("bulk_chain_internal.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("svc_update_groups.json", ":1:qo_discord.update_groups_state_name-Guest_user_pk-1"),
        ("svc_sync_nickname.json", ":1:qo_discord.update_nickname_nickname-Ember Thukker 1_user_pk-1"),
        ("cli_call_update_groups_kwargs_queue.json", ":1:qo_discord.update_groups_user_pk-1"),
        ("worker_07_lpush_update_username_r1.json", ":1:qo_discord.update_username_user_pk-1"),
    ])
    func fixtureLockKeys(file: String, key: String) throws {
        let parameters: [String: [String]] = [
            "discord.update_groups": Self.updateGroups, "discord.update_nickname": Self.updateNickname,
            "discord.delete_user": Self.deleteUser, "discord.update_username": ["user_pk"],
        ]
        let message = try TaskMessage.decode(try Fixtures.bytes(file), poppedFrom: "discord")
        let names = try #require(parameters[message.task])
        #expect(OnceLock.key(task: message.task, parameters: names, args: message.args, kwargs: message.kwargs) == key)
    }

    @Test func chainContinuationLocks() throws {
        let first = try TaskMessage.decode(try Fixtures.bytes("worker_00_lpush_update_groups_r0.json"), poppedFrom: "discord")
        let next = try #require(first.embed.chain?.last)
        #expect(OnceLock.key(task: next.task, parameters: Self.updateGroups, args: next.args, kwargs: next.kwargs)
            == ":1:qo_discord.update_groups_user_pk-2")
    }

    @Test func valuesUsePythonStr() {
        #expect(OnceLock.key(task: "t", parameters: ["a", "b", "c"], args: [nil, [1, 2, 3], 2.5], kwargs: [:])
            == ":1:qo_t_a-None_b-[1, 2, 3]_c-2.5")
        #expect(OnceLock.key(task: "t", parameters: ["x"], args: [["k": "v"]], kwargs: [:]) == ":1:qo_t_x-{'k': 'v'}")
        #expect(OnceLock.key(task: "t", parameters: ["B", "a"], args: [1, 2], kwargs: [:]) == ":1:qo_t_B-1_a-2")
        #expect(OnceLock.key(task: "t", parameters: ["a"], args: [1], kwargs: [:], keyPrefix: "pfx", version: 2) == "pfx:2:qo_t_a-1")
    }

    @Test func lockValueIsThePickledString() {
        #expect(OnceLock.value.count == 19)
        #expect(OnceLock.timeoutMilliseconds == 3_600_000)
    }
}
