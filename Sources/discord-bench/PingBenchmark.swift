import ArgumentParser
import Foundation
import RedisClient
import Synchronization
import TestSupport

/// Queue overhead (README "Performance"): `celery.ping` tasks per second of one discord-worker process against a
/// Python Celery 5.7 worker configured as Alliance Auth runs its services worker, side by side on one
/// private redis-server in one run; and discord-worker's idle and peak resident memory.
struct PingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping",
        abstract: "celery.ping throughput: discord-worker vs. Python Celery (AA's services worker); discord-worker's RSS.",
        discussion: """
        Starts a private redis-server, then for each worker in turn: start it, wait until it consumes (a warm-up
        of 100 pings), push --count celery.ping messages built like Celery's (pipelined LPUSH onto services at
        priority 5, as AA's .delay()), and time until all are consumed (queue empty, nothing held). Python runs
        `celery -A aa_celery worker --pool=threads --concurrency=1 --prefetch-multiplier=1 -Q services`
        (Fixtures/python); discord-worker runs `run` with its default concurrency.
        Targets: discord-worker >= 10x Python; idle RSS < 30 MB.
        """)

    @Option(help: "Messages per worker.")
    var count = 20_000
    @Option(help: "The discord-worker binary (build it with `swift build -c release --product discord-worker`).")
    var workerBin = ".build/release/discord-worker"
    @Option(help: "DISCORD_WORKER_CONCURRENCY for discord-worker (default: its own default).")
    var concurrency: Int?
    @Option(help: "Log level of both workers: Python's --loglevel and DISCORD_WORKER_LOG_LEVEL (info logs every task).")
    var logLevel = "warning"
    @Flag(help: "Measure discord-worker only.")
    var skipPython = false
    @Option(help: "Seconds each phase may take at most.")
    var timeout: Double = 600
    @Option(help: "Worker process counts to measure, comma-separated (each count for both workers, on the same Redis).")
    var processes = "1,2,4"

    func processCounts() throws -> [Int] {
        let counts = processes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ (1...16).contains($0) }) else {
            throw ValidationError("--processes must be comma-separated counts from 1 to 16")
        }
        return counts
    }

    func validate() throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be from 1 to 1000000") }
        guard ["debug", "info", "warning", "error"].contains(logLevel.lowercased()) else {
            throw ValidationError("--log-level must be debug, info, warning or error")
        }
    }

    func run() async throws {
        let binary = try resolveBinary()
        let directory = try RepositoryPaths.scratchDirectory("discord-bench-ping")
        let redis = try await RedisServerProcess.start()
        let brokerURL = "redis://127.0.0.1:\(redis.port)/0"
        let client = RedisClient(url: redis.url(db: 0), name: "bench")
        print("discord-bench ping: \(count) celery.ping messages per worker; redis-server on 127.0.0.1:\(redis.port); "
              + "load average \(loadAverage()); \(ProcessInfo.processInfo.activeProcessorCount) cores")
        print("logs: \(directory)")

        var rows: [(processes: Int, python: Double?, swift: SwiftResult)] = []
        for n in try processCounts() {
            print("")
            print("-- \(n) process(es) of each --")
            let python = skipPython ? nil : try await measurePython(processes: n, client: client, brokerURL: brokerURL, directory: directory)
            let swift = try await measureDiscordWorker(processes: n, binary: binary, client: client, redisPort: redis.port, directory: directory)
            rows.append((n, python, swift))
        }

        print("")
        print("== results (celery.ping, one redis-server, \(count) messages per run) ==")
        print("| processes | Python Celery 5.7 (AA services worker each) tasks/s | discord-worker tasks/s | ratio |")
        print("|---|---|---|---|")
        for row in rows {
            let python = row.python.map { String(format: "%.0f", $0) } ?? "—"
            let ratio = row.python.map { String(format: "%.1f×", row.swift.rate / $0) } ?? "—"
            print("| \(row.processes) | \(python) | \(String(format: "%.0f", row.swift.rate)) (concurrency \(row.swift.concurrency)) | \(ratio) |")
        }
        if let first = rows.first {
            let swift = first.swift
            if let python = first.python {
                let ratio = swift.rate / python
                print(String(format: "ratio with one process each: %.1fx (target >= 10x) %@", ratio, ratio >= 10 ? "OK" : "BELOW TARGET"))
            }
            print(String(format: "discord-worker memory: idle RSS %.1f MB before the run, %.1f MB after; peak %.1f MB", swift.idleBefore, swift.idleAfter, swift.peak))
            print(String(format: "discord-worker idle private memory (smaps_rollup): Anonymous %.1f MB, Private_Dirty %.1f MB (target < 10 MB) %@; "
                         + "the rest of the RSS is shared pages of the binary and libraries",
                         swift.anonymous, swift.privateDirty, max(swift.anonymous, swift.privateDirty) < 10 ? "OK" : "ABOVE TARGET"))
        }
        await client.close()
        await redis.stop()
    }

    // MARK: - Python

    private func measurePython(processes: Int, client: RedisClient, brokerURL: String, directory: String) async throws -> Double {
        print("python: starting \(processes) celery worker(s) (threads, concurrency 1, prefetch 1, -Q services) ...")
        var workers: [ChildProcess] = []
        defer { for worker in workers { worker.signal(SIGKILL) } }
        for index in 0..<processes {
            workers.append(try await PythonCelery.startWorker(
                queues: "services", brokerURL: brokerURL, resultBackend: nil, directory: directory, name: "bench\(processes)-\(index)",
                options: ["--pool=threads", "--concurrency=1", "--prefetch-multiplier=1"], logLevel: logLevel.uppercased(),
                readyTimeout: .seconds(120)))
        }
        try await pushAndDrain(client: client, count: 100 * processes, what: "python warm-up", consumer: .python, sampler: nil)
        let seconds = try await pushAndDrain(client: client, count: count, what: "python", consumer: .python, sampler: nil)
        let rate = Double(count) / seconds
        print(String(format: "python ×%d: %d in %.2f s = %.0f tasks/s", processes, count, seconds, rate))
        for worker in workers { await worker.terminate(grace: .seconds(10)) }
        return rate
    }

    // MARK: - discord-worker

    struct SwiftResult {
        var rate: Double
        var concurrency: String
        var idleBefore: Double
        var idleAfter: Double
        var peak: Double
        /// Idle private memory of the first process (smaps_rollup), MB.
        var anonymous: Double
        var privateDirty: Double
    }

    private func measureDiscordWorker(processes: Int, binary: String, client: RedisClient, redisPort: Int, directory: String) async throws -> SwiftResult {
        var settings = ["DISCORD_WORKER_LOG_LEVEL": logLevel.lowercased()]
        if let concurrency { settings["DISCORD_WORKER_CONCURRENCY"] = String(concurrency) }
        let worker = try DiscordWorkerBinary(path: binary, redisPort: redisPort, settings: settings, directory: directory)
        print("discord-worker: starting \(processes) × \(binary) run ...")
        let registered = Int(try await client.command(["HLEN", "discord-worker:workers"]).int ?? 0)
        var running: [WorkerProcess] = []
        defer { for process in running { process.child.signal(SIGKILL) } }
        for index in 0..<processes {
            running.append(try worker.start(["run"], name: "discord-worker-\(processes)-\(index)"))
        }
        try await waitUntil(timeout: .seconds(60), "\(processes) discord-worker(s) to register") {
            for process in running where !process.isRunning {
                throw TestSupportError("discord-worker exited: \(process.log.suffix(2000))")
            }
            return Int(try await client.command(["HLEN", "discord-worker:workers"]).int ?? 0) >= registered + processes
        }
        let process = running[0]
        try await pushAndDrain(client: client, count: 100 * processes, what: "discord-worker warm-up", consumer: .discordWorker, sampler: nil)
        let idleBefore = try await idleResident(process)
        let idlePrivate = ProcessUsage.privateMemory(pid: process.pid) ?? (0, 0)
        let peakSampler = PeakSampler(pid: process.pid)
        let seconds = try await pushAndDrain(client: client, count: count, what: "discord-worker", consumer: .discordWorker,
                                             sampler: peakSampler)
        let rate = Double(count) / seconds
        print(String(format: "discord-worker ×%d: %d in %.2f s = %.0f tasks/s", processes, count, seconds, rate))
        let idleAfter = try await idleResident(process)
        let hwm = Double(ProcessMemory.peakResidentKiB(pid: process.pid) ?? 0) / 1024
        let peak = max(hwm, Double(peakSampler.peakKiB) / 1024)
        for other in running { await other.terminate(grace: .seconds(30)) }
        let used = concurrency.map(String.init) ?? (logValue(process.log, key: "concurrency") ?? "default")
        return SwiftResult(rate: rate, concurrency: used, idleBefore: idleBefore, idleAfter: idleAfter, peak: peak,
                           anonymous: Double(idlePrivate.anonymous) / 1_048_576, privateDirty: Double(idlePrivate.privateDirty) / 1_048_576)
    }

    /// VmRSS after ~2 s without work, in MB.
    private func idleResident(_ process: WorkerProcess) async throws -> Double {
        try await Task.sleep(for: .seconds(2))
        guard let kib = process.residentKiB else {
            let state = process.isRunning ? "running" : "exited with \(process.child.exitCode.map(String.init) ?? "?")"
            throw TestSupportError("cannot read /proc/\(process.pid)/status (discord-worker \(state)): \(process.log.suffix(2000))")
        }
        return Double(kib) / 1024
    }

    // MARK: - Pushing and waiting

    /// Who consumes, i.e. what "everything consumed" means.
    enum Consumer {
        /// Queue empty and kombu's `unacked` hash empty (early ack: the last task has started).
        case python
        /// Queue empty and nothing in any discord-worker landing list or in-flight hash (acked after the task).
        case discordWorker
    }

    private static func drained(_ client: RedisClient, _ consumer: Consumer) async throws -> Bool {
        guard try await queueEmpty(client) else { return false }
        switch consumer {
        case .python: return (try await client.command(["HLEN", "unacked"]).int ?? 0) == 0
        case .discordWorker: return try await nothingHeld(client)
        }
    }

    /// Pushes `count` pings (pipelined, 1,000 per round trip) and returns the seconds from the first push
    /// until all are consumed.
    @discardableResult
    private func pushAndDrain(client: RedisClient, count: Int, what: String, consumer: Consumer,
                              sampler: PeakSampler?) async throws -> Double {
        let messages = (0..<count).map { _ in CeleryPing.envelope() }
        let start = ContinuousClock.now
        try await Self.push(messages, client: client)
        try await Self.waitDrained(client: client, consumer: consumer, sampler: sampler,
                                   deadline: start + .seconds(timeout), what: what)
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    // (Separate non-inlined steps: Swift 6.3.1's optimizer crashed splitting one coroutine that did all of it.)
    /// Raw pipelined LPUSH of ready-made envelope bytes, 1,000 per round trip, on purpose not through
    /// `TaskPublisher`: the producer must cost next to nothing so the drain rate measures the consumers.
    @inline(never)
    private static func push(_ messages: [[UInt8]], client: RedisClient) async throws {
        var index = 0
        while index < messages.count {
            let chunk = messages[index..<min(index + 1000, messages.count)]
            let commands: [[RedisArgument]] = chunk.map { ["LPUSH", RedisArgument(listKey), RedisArgument(bytes: $0)] }
            _ = try await client.pipeline(commands)
            index += chunk.count
        }
    }

    @inline(never)
    private static func waitDrained(client: RedisClient, consumer: Consumer, sampler: PeakSampler?,
                                    deadline: ContinuousClock.Instant, what: String) async throws {
        while true {
            sampler?.sample()
            if try await drained(client, consumer) { return }
            if ContinuousClock.now >= deadline { throw TestSupportError("\(what): not drained in time") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    private static let listKey = CeleryPing.listKey

    private static func queueEmpty(_ client: RedisClient) async throws -> Bool {
        let keys = (0...9).map { $0 == 0 ? "services" : "services\u{06}\u{16}\($0)" }
        let lengths = try await client.pipeline(keys.map { ["LLEN", RedisArgument($0)] })
        return lengths.allSatisfy { ($0.int ?? 0) == 0 }
    }

    /// No message in any discord-worker in-flight hash or landing list.
    private static func nothingHeld(_ client: RedisClient) async throws -> Bool {
        let inflight = try await client.command(["KEYS", "discord-worker:worker:*:inflight"]).array?.compactMap(\.string) ?? []
        let landing = try await client.command(["KEYS", "discord-worker:worker:*:landing:*"]).array?.compactMap(\.string) ?? []
        let commands: [[RedisArgument]] = inflight.map { ["HLEN", RedisArgument($0)] } + landing.map { ["LLEN", RedisArgument($0)] }
        if commands.isEmpty { return true }
        return try await client.pipeline(commands).allSatisfy { ($0.int ?? 0) == 0 }
    }

    // MARK: - Helpers

    private func resolveBinary() throws -> String {
        for candidate in [workerBin, RepositoryPaths.root + "/" + workerBin] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw ValidationError("no discord-worker binary at \(workerBin): run `swift build -c release --product discord-worker` first (or pass --worker-bin)")
    }

    private func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    private func logValue(_ log: String, key: String) -> String? {
        guard let range = log.range(of: "\(key)=") else { return nil }
        return String(log[range.upperBound...].prefix { !$0.isWhitespace })
    }
}

/// Tracks the highest VmRSS seen.
final class PeakSampler: Sendable {
    let pid: pid_t
    private let peak = Mutex(0)

    init(pid: pid_t) { self.pid = pid }

    func sample() {
        guard let kib = ProcessMemory.residentKiB(pid: pid) else { return }
        peak.withLock { $0 = max($0, kib) }
    }

    var peakKiB: Int { peak.withLock { $0 } }
}

/// `celery.ping` as Celery 5.7 publishes `app.send_task('celery.ping')` with AA's configuration: protocol 2,
/// JSON, `json.dumps` layout, priority 5 (AA's task_default_priority) on queue `services`.
enum CeleryPing {
    static let listKey = "services\u{06}\u{16}5"
    /// base64 of `[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]`.
    static let body = Data(#"[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"#.utf8).base64EncodedString()
    static let origin = "gen\(ProcessInfo.processInfo.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
    static let replyTo = UUID().uuidString.lowercased()

    static func envelope() -> [UInt8] {
        let id = UUID().uuidString.lowercased()
        let tag = UUID().uuidString.lowercased()
        let text = #"{"body": "\#(body)", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "celery.ping", "id": "\#(id)", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "\#(id)", "parent_id": null, "argsrepr": "()", "kwargsrepr": "{}", "origin": "\#(origin)", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "\#(id)", "reply_to": "\#(replyTo)", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "services"}, "priority": 5, "body_encoding": "base64", "delivery_tag": "\#(tag)"}}"#
        return Array(text.utf8)
    }
}
