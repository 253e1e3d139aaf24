import ArgumentParser
import Broker
import CeleryProtocol
import DiscordAPI
import Foundation
import RedisClient
import WorkerRuntime

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Queue depth per priority, delayed, in flight per worker, dead letters, bulk progress, health.",
        discussion: """
        Exit codes (for scripts and probes; the report is printed whenever the broker can be read):
          0  healthy: at least one live worker, Discord accepts the token, no persistent task problem
          1  the broker (BROKER_URL) or the rate-limit state (CACHE_URL) cannot be read
          2  configuration or usage error
          3  no live worker is registered
          4  Discord rejected DISCORD_BOT_TOKEN (401): every worker has STOPPED calling Discord
          5  a live worker reports a persistent problem (e.g. its tasks cannot reach CACHE_URL's Redis)
        When several apply, the lowest code wins. Dead letters alone do not make it unhealthy.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let config = try global.configuration()
        let redis = RedisClient(url: config.brokerURL, name: "status")
        // The shared rate limiter keeps its state where the worker's Discord client writes it: CACHE_URL.
        let cache = RedisClient(url: config.cacheURL, name: "status-cache")
        let inspector = BrokerInspector(redis: redis)
        var report: StatusReport
        do {
            report = try await StatusReport.gather(inspector: inspector, queues: config.queues)
        } catch {
            await redis.close()
            await cache.close()
            throw CommandFailure(message: "cannot read the broker (BROKER_URL): \(error)")
        }
        await redis.close()
        if let token = config.botToken {
            do {
                report.rateLimit = try await StatusReport.rateLimitState(cache: cache, botToken: token)
            } catch {
                report.rateLimitError = "cannot read the rate-limit state (CACHE_URL): \(error)"
            }
        }
        await cache.close()
        if json {
            var object = report.jsonObject
            object["version"] = BuildInfo.current.jsonObject
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text)
        }
        if let unhealthy = report.health.exitCode { throw ExitCode(unhealthy) }
    }
}

struct StatusReport {
    var depths: [String: [Int: Int]] = [:]
    var delayed = 0
    /// Messages parked until a user's lock is free.
    var waitingForLock = 0
    var deadLetters = 0
    var workers: [BrokerInspector.WorkerState] = []
    var bulk: [BulkProgress] = []
    var rateLimit: RateLimitState?
    /// Why `rateLimit` could not be read (CACHE_URL unreachable): exit code 1.
    var rateLimitError: String?

    /// The shared rate limiter's state for this bot token (it lives in the `CACHE_URL` database).
    struct RateLimitState {
        var unauthorized: Bool
        var globalBlockedMilliseconds: Int64
        var requestsLastSecond: Int
        var invalidRequestsLast10Minutes: Int
        var blockedBuckets: Int
    }

    static func gather(inspector: BrokerInspector, queues: [String]) async throws -> StatusReport {
        var report = StatusReport()
        for queue in queues {
            let keys = (0...9).map { KombuKeys.listKey(queue: queue, priority: $0) }
            let lengths = try await inspector.lengths(of: keys)
            report.depths[queue] = Dictionary(uniqueKeysWithValues: lengths.enumerated().map { ($0.offset, $0.element) })
        }
        report.delayed = try await inspector.delayedCount()
        report.waitingForLock = try await inspector.waitingForLocksCount()
        report.deadLetters = try await inspector.deadLetterCount()
        report.workers = try await inspector.workers()
        report.bulk = try await inspector.bulkProgress()
        return report
    }

    /// The shared rate limiter's state for this bot token, from the Redis the worker's Discord client
    /// writes it to (`CACHE_URL`, see `TaskWiring`).
    static func rateLimitState(cache: RedisClient, botToken: Secret) async throws -> RateLimitState {
        let keys = RateLimitKeys(keyPrefix: RateLimitOptions().keyPrefix, botToken: botToken)
        let nowMS = Int64(Date().timeIntervalSince1970 * 1000)
        let replies = try await cache.pipeline([
            ["EXISTS", RedisArgument(keys.unauthorizedLatch)],
            ["PTTL", RedisArgument(keys.globalBlock)],
            ["ZCOUNT", RedisArgument(keys.globalLog), RedisArgument(nowMS - 1000), "+inf"],
            ["ZCOUNT", RedisArgument(keys.invalid), RedisArgument(nowMS - 600_000), "+inf"],
            ["SCAN", 0, "MATCH", RedisArgument(keys.scope + "blocked:*"), "COUNT", 1000],
        ])
        for reply in replies { if case .error(let message) = reply { throw CommandFailure(message: message) } }
        let blocked = replies[4].array?.last?.array?.count ?? 0
        return RateLimitState(
            unauthorized: replies[0].int == 1, globalBlockedMilliseconds: max(0, replies[1].int ?? 0),
            requestsLastSecond: Int(replies[2].int ?? 0), invalidRequestsLast10Minutes: Int(replies[3].int ?? 0),
            blockedBuckets: blocked)
    }

    /// What `status` exits with (see `StatusCommand`'s discussion and the README).
    struct Health {
        var exitCode: Int32?
        var problems: [String]
    }

    var health: Health {
        var codes: [Int32] = []
        var problems: [String] = []
        let alive = workers.filter { $0.aliveTTLMilliseconds != nil }
        if let rateLimitError { codes.append(1); problems.append(rateLimitError) }
        if alive.isEmpty { codes.append(3); problems.append("no live worker") }
        if rateLimit?.unauthorized == true { codes.append(4); problems.append("Discord rejected DISCORD_BOT_TOKEN (401)") }
        for w in alive { if let p = w.problem { codes.append(5); problems.append("worker \(w.id): \(p)") } }
        return Health(exitCode: codes.min(), problems: problems)
    }

    var inFlight: Int { workers.reduce(0) { $0 + $1.inFlight } }

    var jsonObject: [String: Any] {
        let lease = 30_000.0
        return [
            "queues": depths.mapValues { byPriority in Dictionary(uniqueKeysWithValues: byPriority.map { (String($0.key), $0.value) }) },
            "delayed": delayed,
            "healthy": health.exitCode == nil,
            "problems": health.problems,
            "waiting_for_lock": waitingForLock,
            "in_flight": inFlight,
            "dead_letters": deadLetters,
            "workers": workers.map { w -> [String: Any] in
                var o: [String: Any] = ["id": w.id, "in_flight": w.inFlight, "alive": w.aliveTTLMilliseconds != nil]
                // Heartbeats renew the alive key to a full lease; its age is the lease minus what is left.
                if let ttl = w.aliveTTLMilliseconds {
                    let leaseMS = Double(w.info["lease_ms"] ?? "") ?? lease
                    o["heartbeat_age"] = max(0, (leaseMS - Double(ttl)) / 1000)
                } else {
                    o["heartbeat_age"] = NSNull()
                }
                for key in ["host", "pid", "queues", "concurrency", "version"] { if let v = w.info[key] { o[key] = v } }
                o["problem"] = w.problem ?? NSNull()
                return o
            },
            "rate_limit": rateLimit.map { r -> Any in
                ["unauthorized": r.unauthorized, "global_blocked_ms": r.globalBlockedMilliseconds,
                 "requests_last_second": r.requestsLastSecond, "invalid_requests_10min": r.invalidRequestsLast10Minutes,
                 "blocked_buckets": r.blockedBuckets] as [String: Any]
            } ?? NSNull(),
            "bulk": bulk.map { b -> [String: Any] in
                ["task": b.task, "task_id": b.taskID, "done": b.done, "total": b.total, "changed": b.changed,
                 "failed": b.failed, "finished": b.finished, "eta_seconds": b.etaSeconds.map { $0 as Any } ?? NSNull()]
            },
        ]
    }

    var text: String {
        var lines: [String] = []
        for (queue, byPriority) in depths.sorted(by: { $0.key < $1.key }) {
            let total = byPriority.values.reduce(0, +)
            let parts = byPriority.sorted { $0.key < $1.key }.filter { $0.value > 0 }.map { "p\($0.key)=\($0.value)" }
            lines.append("queue \(queue): \(total) waiting" + (parts.isEmpty ? "" : " (\(parts.joined(separator: " ")))"))
        }
        lines.append("delayed: \(delayed)")
        lines.append("waiting for a user's lock: \(waitingForLock)")
        lines.append("in flight: \(inFlight)")
        lines.append("dead letters: \(deadLetters)")
        lines.append("workers: \(workers.count)")
        for w in workers {
            let state = w.aliveTTLMilliseconds == nil ? "DEAD (messages will be taken over)" : "alive"
            lines.append("  \(w.id): \(state), \(w.inFlight) in flight" + (w.problem.map { ", PROBLEM: \($0)" } ?? ""))
        }
        if rateLimit?.unauthorized == true {
            lines.append("discord: STOPPED: DISCORD_BOT_TOKEN was rejected (401); no worker calls Discord until the token is fixed and the workers restart")
        }
        if let r = rateLimit {
            lines.append("discord: \(r.requestsLastSecond) requests in the last second, \(r.invalidRequestsLast10Minutes) invalid in 10 min"
                + (r.blockedBuckets > 0 ? ", \(r.blockedBuckets) bucket(s) waiting on a 429" : "")
                + (r.globalBlockedMilliseconds > 0 ? ", GLOBAL block \(r.globalBlockedMilliseconds) ms" : ""))
        }
        for b in bulk {
            let eta = b.etaSeconds.map { String(format: ", eta %.0fs", $0) } ?? ""
            lines.append("bulk \(b.task) \(b.taskID): \(b.done)/\(b.total) done, \(b.changed) changed, \(b.failed) failed\(b.finished ? ", finished" : eta)")
        }
        let h = health
        lines.append(h.exitCode == nil ? "health: ok" : "health: UNHEALTHY (exit \(h.exitCode!)): " + h.problems.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}
