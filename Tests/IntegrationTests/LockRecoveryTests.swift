import Foundation
import RedisClient
import Testing
import TestSupport

/// kill -9 of a worker that holds per-user locks, with more tasks of the same users parked behind them:
/// the locks die with the holder's lease, and everything lands within DISCORD_WORKER_LEASE_SECONDS + 10 s.
@Suite("Lock recovery")
struct LockRecoveryTests {
    static let lease = 3
    static let users: [Int64] = [11, 12, 13]
    static let tasksPerUser = 3
    static let seconds = 1.5

    /// Enqueues `tasksPerUser` user-locked sleeps per user (round robin) and returns their ids. While the
    /// broker key `hold` exists, a run sleeps 60 s (so a worker is sure to hold them when killed).
    static func enqueueUserSleeps(_ h: Harness, key: String, hold: String? = nil) async throws -> [String] {
        var ids: [String] = []
        let holdArgument = hold.map { "\"\($0)\"" } ?? "null"
        for _ in 0..<tasksPerUser {
            for pk in users {
                ids.append(try await h.binary.enqueue("discord_worker.test.user_sleep", ["--args", "[\(pk), \(seconds), \"\(key)\", \(holdArgument)]"]))
            }
        }
        return ids
    }

    /// Messages parked in the users' durable waiting lists, read from outside.
    static func parked(_ h: Harness) async throws -> Int {
        var total = 0
        for pk in users {
            total += Int(try await h.client.command(["LLEN", RedisArgument("discord-worker:lock:user:\(pk):waiting")]).int ?? 0)
        }
        return total
    }

    /// Starts a worker and waits until it holds one lock per user with the other tasks parked behind them.
    static func startHolder(_ h: Harness, name: String, key: String, startsBefore: Int,
                            parkedTarget: Int = users.count * (tasksPerUser - 1)) async throws -> WorkerProcess {
        let worker = try h.startWorker(["run", "--concurrency", "16"], name: name)
        try await waitUntil(timeout: .seconds(60), interval: .milliseconds(10), "\(name) to hold every user's lock with the rest parked") {
            let starts = try await h.list(key).filter { $0.hasPrefix("start:") }.count
            let waiting = try await parked(h)
            return starts >= startsBefore + users.count && waiting >= parkedTarget
        }
        return worker
    }

    /// Per user, the trace from `offset` on alternates start/done: never two tasks of one user at once.
    static func expectNoOverlap(_ trace: [String], from offset: Int) {
        for pk in users {
            let events = trace.dropFirst(offset).filter { $0.hasPrefix("start:\(pk):") || $0.hasPrefix("done:\(pk):") }
            for (i, event) in events.enumerated() {
                #expect(event.hasPrefix(i % 2 == 0 ? "start:" : "done:"), "user \(pk) overlaps: \(events)")
            }
        }
    }

    @Test func killedLockHolderIsRecoveredWithinTheLease() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "\(Self.lease)"]) { $1 }
        try await Harness.with(settings) { h in
            let key = "tests:user-locks"
            try await h.client.command(["SET", "tests:hold", "1"])
            let ids = try await Self.enqueueUserSleeps(h, key: key, hold: "tests:hold")
            let a = try await Self.startHolder(h, name: "worker-a", key: key, startsBefore: 0)
            // Waiting tasks park; nothing bounces through the delayed set.
            #expect(try await h.client.command(["ZCARD", "discord-worker:delayed"]).int == 0)
            #expect(try await h.binary.status().waitingForLock == Self.users.count * (Self.tasksPerUser - 1))

            a.signal(SIGKILL)
            let killed = ContinuousClock.now
            try await h.client.command(["DEL", "tests:hold"])  // from now on the tasks run their 1.5 s
            #expect(await a.wait(timeout: .seconds(10)) == 137)
            let offset = try await h.list(key).count
            let b = try h.startWorker(["run", "--exit-when-idle"], name: "worker-b")

            let bound = Duration.seconds(Self.lease + 10)
            try await h.awaitList(key, timeout: bound, "every task (held and queued behind) within lease + 10 s") { trace in
                Set(ids).isSubset(of: Set(trace.compactMap { $0.hasPrefix("done:") ? String($0.split(separator: ":").last!) : nil }))
            }
            let recovery = ContinuousClock.now - killed
            print("lock recovery after kill -9: every task of \(Self.users.count) users (\(ids.count) tasks of \(Self.seconds) s once taken over) landed \(recovery.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))) after the kill (lease \(Self.lease) s, bound \(bound))")
            #expect(try await h.exitCode(of: b) == 0, "B log:\n\(b.log.suffix(3000))")
            Self.expectNoOverlap(try await h.list(key), from: offset)

            let status = try await h.settledStatus()
            #expect(status.inFlight == 0 && status.waitingForLock == 0 && status.deadLetters == 0 && status.delayed == 0)
            let locks = try await h.client.command(["KEYS", "discord-worker:lock*"]).array ?? []
            #expect(locks.isEmpty, "no lock or waiting list is left: \(locks)")
        }
    }

    /// Two kills in a row: B takes over A's locks and tasks, is killed while holding them itself, and C
    /// completes everything. Nothing is lost, no user runs twice at once.
    @Test func secondHolderKilledToo() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "\(Self.lease)"]) { $1 }
        try await Harness.with(settings) { h in
            let key = "tests:user-locks-2"
            try await h.client.command(["SET", "tests:hold", "1"])
            let ids = try await Self.enqueueUserSleeps(h, key: key, hold: "tests:hold")
            let a = try await Self.startHolder(h, name: "worker-a", key: key, startsBefore: 0)
            a.signal(SIGKILL)
            _ = await a.wait(timeout: .seconds(10))
            let b = try await Self.startHolder(h, name: "worker-b", key: key, startsBefore: Self.users.count)
            b.signal(SIGKILL)
            let killed = ContinuousClock.now
            try await h.client.command(["DEL", "tests:hold"])
            _ = await b.wait(timeout: .seconds(10))
            let offset = try await h.list(key).count
            let c = try h.startWorker(["run", "--exit-when-idle"], name: "worker-c")
            try await h.awaitList(key, timeout: .seconds(Self.lease + 10), "every task within lease + 10 s of the second kill") { trace in
                Set(ids).isSubset(of: Set(trace.compactMap { $0.hasPrefix("done:") ? String($0.split(separator: ":").last!) : nil }))
            }
            print("lock recovery after a second kill -9: \((ContinuousClock.now - killed).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2))))")
            #expect(try await h.exitCode(of: c) == 0, "C log:\n\(c.log.suffix(3000))")
            Self.expectNoOverlap(try await h.list(key), from: offset)
            let status = try await h.settledStatus()
            #expect(status.inFlight == 0 && status.waitingForLock == 0 && status.deadLetters == 0)
        }
    }

    /// Every Redis connection of a worker holding locks is killed (`CLIENT KILL`): it reconnects, releases
    /// its locks (retrying), the parked tasks run; nothing lost, no user twice at once, nothing left over.
    @Test func brokenConnectionsWhileHoldingLocks() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "\(Self.lease)"]) { $1 }
        try await Harness.with(settings) { h in
            let key = "tests:user-locks-conn"
            let ids = try await Self.enqueueUserSleeps(h, key: key)
            let a = try await Self.startHolder(h, name: "worker-a", key: key, startsBefore: 0, parkedTarget: 1)
            let killed = try await h.client.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]).int ?? 0
            #expect(killed > 0)
            try await h.awaitList(key, timeout: .seconds(30), "every task after the connections broke") { trace in
                Set(ids).isSubset(of: Set(trace.compactMap { $0.hasPrefix("done:") ? String($0.split(separator: ":").last!) : nil }))
            }
            Self.expectNoOverlap(try await h.list(key), from: 0)
            let status = try await h.settledStatus()
            #expect(status.waitingForLock == 0 && status.deadLetters == 0)
            try await waitUntil(timeout: .seconds(10), "no lock left") {
                (try await h.client.command(["KEYS", "discord-worker:lock*"]).array ?? []).isEmpty
            }
            a.signal(SIGTERM)
            #expect(try await h.exitCode(of: a) == 0, "\(a.log.suffix(2000))")
        }
    }

    /// kill -9 at an arbitrary moment of a stream of short per-user tasks (likely mid-settle or mid-release):
    /// a second worker completes every task; after the kill no user runs twice at once.
    @Test func killAtAnArbitraryMomentOfShortTasks() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "\(Self.lease)"]) { $1 }
        try await Harness.with(settings) { h in
            let key = "tests:user-locks-stream"
            var enqueued: [String] = []
            for round in 0..<8 {
                for pk in Self.users {
                    enqueued.append(try await h.binary.enqueue("discord_worker.test.user_sleep", ["--args", "[\(pk), \(0.05 + 0.01 * Double(round)), \"\(key)\"]"]))
                }
            }
            let ids = enqueued
            let a = try h.startWorker(["run", "--concurrency", "16"], name: "worker-a")
            try await h.awaitList(key, "a few tasks done") { $0.filter { $0.hasPrefix("done:") }.count >= 4 }
            a.signal(SIGKILL)
            let killed = ContinuousClock.now
            _ = await a.wait(timeout: .seconds(10))
            let offset = try await h.list(key).count
            let b = try h.startWorker(["run", "--exit-when-idle"], name: "worker-b")
            try await h.awaitList(key, timeout: .seconds(Self.lease + 10), "every task within lease + 10 s") { trace in
                Set(ids).isSubset(of: Set(trace.compactMap { $0.hasPrefix("done:") ? String($0.split(separator: ":").last!) : nil }))
            }
            print("short-task stream: every task landed \((ContinuousClock.now - killed).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))) after the kill")
            #expect(try await h.exitCode(of: b) == 0, "\(b.log.suffix(2000))")
            // Tasks A had started and B restarted appear with a start but no done from A: check from the
            // first event after the kill on, per user.
            let trace = try await h.list(key)
            for pk in Self.users {
                let events = trace.dropFirst(offset).filter { $0.hasPrefix("start:\(pk):") || $0.hasPrefix("done:\(pk):") }
                for (i, event) in events.enumerated() { #expect(event.hasPrefix(i % 2 == 0 ? "start:" : "done:"), "user \(pk): \(events)") }
            }
            let status = try await h.settledStatus()
            #expect(status.inFlight == 0 && status.waitingForLock == 0 && status.deadLetters == 0)
        }
    }

    /// redis-server restarted (data gone, as this test server keeps none) while a worker holds user locks:
    /// the worker re-registers, its stale releases are harmless, and new tasks of the same users run at once
    /// instead of waiting for a lock nobody holds any more.
    @Test func redisRestartWhileHoldingLocks() async throws {
        let settings = Harness.testTasks.merging(["DISCORD_WORKER_LEASE_SECONDS": "\(Self.lease)"]) { $1 }
        try await Harness.with(settings) { h in
            let key = "tests:user-locks-restart"
            try await h.client.command(["SET", "tests:hold", "1"])
            _ = try await Self.enqueueUserSleeps(h, key: key, hold: "tests:hold")
            let a = try await Self.startHolder(h, name: "worker-a", key: key, startsBefore: 0)
            try await h.redis.restart()
            let restarted = ContinuousClock.now
            var ids: [String] = []
            for pk in Self.users {
                ids.append(try await h.binary.enqueue("discord_worker.test.user_sleep", ["--args", "[\(pk), 0.1, \"\(key)\"]"]))
            }
            let expected = ids
            try await h.awaitList(key, timeout: .seconds(Self.lease + 10), "new tasks of the same users after the restart") { trace in
                Set(expected).isSubset(of: Set(trace.compactMap { $0.hasPrefix("done:") ? String($0.split(separator: ":").last!) : nil }))
            }
            print("after a Redis restart under held locks, new tasks of the same users landed \((ContinuousClock.now - restarted).formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 2)))) later")
            #expect(a.isRunning)
            a.signal(SIGKILL)
        }
    }
}
