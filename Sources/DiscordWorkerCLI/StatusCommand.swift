import ArgumentParser
import Broker
import CeleryProtocol
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
            report = try await StatusReport.gather(inspector: inspector, queues: config.queues)
        } catch {
            throw CommandFailure(message: "cannot read the broker: \(error)")
        }
        await redis.close()
        if json {
            let data = try JSONSerialization.data(withJSONObject: report.jsonObject, options: [.sortedKeys])
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

    static func gather(inspector: BrokerInspector, queues: [String]) async throws -> StatusReport {
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
                for key in ["host", "pid", "queues", "concurrency"] { if let v = w.info[key] { o[key] = v } }
                return o
            },
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
        for b in bulk {
            let eta = b.etaSeconds.map { String(format: ", eta %.0fs", $0) } ?? ""
            lines.append("bulk \(b.task) \(b.taskID): \(b.done)/\(b.total) done, \(b.changed) changed, \(b.failed) failed\(b.finished ? ", finished" : eta)")
        }
        return lines.joined(separator: "\n")
    }
}
