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
        abstract: "Queue depth per priority, delayed, in flight per worker, dead letters, bulk progress.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let config = try global.configuration()
        let redis = RedisClient(url: config.brokerURL, name: "status")
        let inspector = BrokerInspector(redis: redis)
        let report: StatusReport
        do {
            report = try await StatusReport.gather(inspector: inspector, queues: config.queues, botToken: config.botToken)
        } catch {
            throw CommandFailure(message: "cannot read the broker: \(error)")
        }
        await redis.close()
        if json {
            var object = report.jsonObject
            object["version"] = BuildInfo.current.jsonObject
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}

struct StatusReport {
    var depths: [String: [Int: Int]] = [:]
    var delayed = 0
    var deadLetters = 0
    var workers: [BrokerInspector.WorkerState] = []
    var bulk: [BulkProgress] = []
    var rateLimit: RateLimitState?

    /// The shared rate limiter's state for this bot token (it lives in the broker database).
    struct RateLimitState {
        var unauthorized: Bool
        var globalBlockedMilliseconds: Int64
        var requestsLastSecond: Int
        var invalidRequestsLast10Minutes: Int
        var blockedBuckets: Int
    }

    static func gather(inspector: BrokerInspector, queues: [String], botToken: Secret? = nil) async throws -> StatusReport {
        var report = StatusReport()
        for queue in queues {
            let keys = (0...9).map { KombuKeys.listKey(queue: queue, priority: $0) }
            let lengths = try await inspector.lengths(of: keys)
            report.depths[queue] = Dictionary(uniqueKeysWithValues: lengths.enumerated().map { ($0.offset, $0.element) })
        }
        report.delayed = try await inspector.delayedCount()
        report.deadLetters = try await inspector.deadLetterCount()
        report.workers = try await inspector.workers()
        report.bulk = try await BulkProgressReporter.all(redis: inspector.redis, keys: inspector.keys)
        if let botToken {
            let keys = RateLimitKeys(keyPrefix: RateLimitOptions().keyPrefix, botToken: botToken)
            let nowMS = Int64(Date().timeIntervalSince1970 * 1000)
            let replies = try await inspector.redis.pipeline([
                ["EXISTS", RedisArgument(keys.unauthorizedLatch)],
                ["PTTL", RedisArgument(keys.globalBlock)],
                ["ZCOUNT", RedisArgument(keys.globalLog), RedisArgument(nowMS - 1000), "+inf"],
                ["ZCOUNT", RedisArgument(keys.invalid), RedisArgument(nowMS - 600_000), "+inf"],
                ["SCAN", 0, "MATCH", RedisArgument(keys.scope + "blocked:*"), "COUNT", 1000],
            ])
            let blocked = replies[4].array?.last?.array?.count ?? 0
            report.rateLimit = RateLimitState(
                unauthorized: replies[0].int == 1, globalBlockedMilliseconds: max(0, replies[1].int ?? 0),
                requestsLastSecond: Int(replies[2].int ?? 0), invalidRequestsLast10Minutes: Int(replies[3].int ?? 0),
                blockedBuckets: blocked)
        }
        return report
    }

    var inFlight: Int { workers.reduce(0) { $0 + $1.inFlight } }

    var jsonObject: [String: Any] {
        let lease = 30_000.0
        return [
            "queues": depths.mapValues { byPriority in Dictionary(uniqueKeysWithValues: byPriority.map { (String($0.key), $0.value) }) },
            "delayed": delayed,
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
        lines.append("in flight: \(inFlight)")
        lines.append("dead letters: \(deadLetters)")
        lines.append("workers: \(workers.count)")
        for w in workers {
            let state = w.aliveTTLMilliseconds == nil ? "DEAD (messages will be taken over)" : "alive"
            lines.append("  \(w.id): \(state), \(w.inFlight) in flight")
        }
        if let r = rateLimit {
            lines.append("discord: \(r.requestsLastSecond) requests in the last second, \(r.invalidRequestsLast10Minutes) invalid in 10 min"
                + (r.blockedBuckets > 0 ? ", \(r.blockedBuckets) bucket(s) waiting on a 429" : "")
                + (r.globalBlockedMilliseconds > 0 ? ", GLOBAL block \(r.globalBlockedMilliseconds) ms" : "")
                + (r.unauthorized ? ", STOPPED: DISCORD_BOT_TOKEN was rejected (401)" : ""))
        }
        for b in bulk {
            let eta = b.etaSeconds.map { String(format: ", eta %.0fs", $0) } ?? ""
            lines.append("bulk \(b.task) \(b.taskID): \(b.done)/\(b.total) done, \(b.changed) changed, \(b.failed) failed\(b.finished ? ", finished" : eta)")
        }
        return lines.joined(separator: "\n")
    }
}
