import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct KombuKeysTests {
    @Test func listKeysForAAPrioritySteps() {
        #expect(KombuKeys.listKey(queue: "services", priority: 0) == "services")
        #expect(KombuKeys.listKey(queue: "services", priority: nil) == "services")
        #expect(KombuKeys.listKey(queue: "services", priority: -3) == "services")
        #expect(Array(KombuKeys.listKey(queue: "services", priority: 1).utf8) == Array("services".utf8) + [0x06, 0x16, 0x31])
        #expect(KombuKeys.listKey(queue: "services", priority: 3) == "services\u{06}\u{16}3")
        #expect(KombuKeys.listKey(queue: "services", priority: 5) == "services\u{06}\u{16}5")
        #expect(KombuKeys.listKey(queue: "services", priority: 9) == "services\u{06}\u{16}9")
        #expect(KombuKeys.listKey(queue: "services", priority: 12) == "services\u{06}\u{16}9")
        #expect(KombuKeys.listKey(queue: "discord", priority: 6) == "discord" + sep + "6")
    }

    @Test func consumeOrderHasStepAsOuterLoop() {
        #expect(KombuKeys.consumeOrder(queues: ["services"]) == ["services"] + (1...9).map { "services" + sep + "\($0)" })
        let two = KombuKeys.consumeOrder(queues: ["qa", "qb"])
        #expect(two.count == 20)
        #expect(Array(two.prefix(4)) == ["qa", "qb", "qa" + sep + "1", "qb" + sep + "1"])
        #expect(Array(two.suffix(2)) == ["qa" + sep + "9", "qb" + sep + "9"])
    }

    @Test func parseSplitsAtLastSeparator() {
        #expect(KombuKeys.parse(listKey: "services" + sep + "5") == ("services", 5))
        #expect(KombuKeys.parse(listKey: "services") == ("services", 0))
        #expect(KombuKeys.parse(listKey: "a" + sep + "b" + sep + "3") == ("a" + sep + "b", 3))
        #expect(KombuKeys.parse(listKey: "odd" + sep + "x") == ("odd" + sep + "x", 0))
        #expect(KombuKeys.parse(listKey: "odd" + sep + "12") == ("odd" + sep + "12", 0))
    }

    @Test func priorityAsKombuReadsIt() {
        #expect(KombuKeys.priority(from: nil) == 0)
        #expect(KombuKeys.priority(from: .null) == 0)
        #expect(KombuKeys.priority(from: 5) == 5)
        #expect(KombuKeys.priority(from: 42) == 9)
        #expect(KombuKeys.priority(from: -1) == 0)
        #expect(KombuKeys.priority(from: 5.7) == 5)
        #expect(KombuKeys.priority(from: true) == 1)
        #expect(KombuKeys.priority(from: " 7 ") == 7)
        #expect(KombuKeys.priority(from: "high") == 0)
        #expect(KombuKeys.priority(from: "00000000003") == 3)
        #expect(KombuKeys.priority(from: [5]) == 0)
        #expect(KombuKeys.priority(from: .double(.nan)) == 0)
    }

    /// Measured with a Celery 5.7 worker: eight messages with priorities 9, 6, 3, 0, 5, 1, None, 7 ran as 0, 1, None, 3, 5, 6, 7, 9.
    ///
    /// The numbered messages come out in exactly that order. The `None` message has no priority, which kombu
    /// counts as 0 (`_get_message_priority` falls back to `default_priority = 0`), so it shares the bare list with
    /// priority 0 and a pure LPUSH/BRPOP simulation pops it right after 0; the live capture ran it after 1, which
    /// the key order alone cannot produce.
    @Test func eightPrioritiesRunInKombuOrder() {
        let sent: [Int?] = [9, 6, 3, 0, 5, 1, nil, 7]
        var lists: [String: [String]] = [:]  // LPUSH: insert at front; BRPOP: take from the back
        for priority in sent {
            let label = priority.map(String.init) ?? "None"
            lists[KombuKeys.listKey(queue: "services", priority: priority), default: []].insert(label, at: 0)
        }
        var ran: [String] = []
        let order = KombuKeys.consumeOrder(queues: ["services"])
        for _ in 0..<sent.count {
            guard let key = order.first(where: { !(lists[$0] ?? []).isEmpty }) else { break }
            ran.append(lists[key]!.removeLast())
        }
        #expect(ran.filter { $0 != "None" } == ["0", "1", "3", "5", "6", "7", "9"])
        #expect(ran == ["0", "None", "1", "3", "5", "6", "7", "9"])
    }
}

/// `TaskRoutes`: Celery's `task_routes` globs and default queue.
@Suite struct TaskRoutesTests {
    @Test func aaRoutesFollowTheConfiguredQueue() {
        let routes = TaskRoutes.allianceAuth(queue: "discord")
        #expect(routes.route("discord.update_groups") == "discord")
        #expect(routes.route("discord_worker.test.sleep") == nil, "discord_worker.* is not discord.*")
        #expect(routes.route("celery.ping") == nil)
        #expect(routes.queue(for: "celery.ping") == "celery", "Celery's task_default_queue")
        #expect(TaskRoutes.allianceAuth().queue(for: "discord.update_all_groups") == "services", "AA's default")
        #expect(TaskRoutes.allianceAuth(queue: "q1", defaultQueue: "q1").queue(for: "tests.add") == "q1")
    }

    @Test func globsMatchTheWholeNameAsFnmatchDoes() {
        #expect(TaskRoutes.matches("discord.update_groups", pattern: "discord.*"))
        #expect(TaskRoutes.matches("discord.", pattern: "discord.*"))
        #expect(!TaskRoutes.matches("discord", pattern: "discord.*"))
        #expect(!TaskRoutes.matches("xdiscord.a", pattern: "discord.*"))
        #expect(TaskRoutes.matches("a.b.c", pattern: "a.*.c"))
        #expect(TaskRoutes.matches("a.bb.c", pattern: "a.??.c"))
        #expect(!TaskRoutes.matches("a.b.cd", pattern: "a.*.c"))
        #expect(TaskRoutes.matches("a.b.c.c", pattern: "a.*.c"), "the star backtracks")
        #expect(TaskRoutes.matches("anything", pattern: "*"))
        let first = TaskRoutes([.init(pattern: "discord.update_*", queue: "fast"), .init(pattern: "discord.*", queue: "services")])
        #expect(first.route("discord.update_groups") == "fast" && first.route("discord.delete_user") == "services", "first match wins")
    }
}
