import DiscordAPI
import DiscordSandbox
import Foundation
import RedisClient
import Testing
import TestSupport

/// What an operator meets first, driven through the built binary: env files from Windows, `status` as a
/// probe, `check`, a wrong CACHE_URL, shared queues.
@Suite("Operator faults")
struct OperatorFaultTests {
    /// Runs the binary with `environment` exactly (nothing inherited from the harness's settings).
    static func runBare(_ h: Harness, _ arguments: [String], environment: [String: String]) async throws -> (code: Int32, stdout: String, stderr: String) {
        let tag = UUID().uuidString.prefix(8)
        let child = try ChildProcess(h.binary.path, arguments, environment: environment,
                                     stdout: h.directory + "/bare-\(tag).out", stderr: h.directory + "/bare-\(tag).err")
        guard let code = await child.wait(timeout: .seconds(60)) else {
            await child.killNow()
            throw TestSupportError("discord-worker \(arguments) did not finish")
        }
        return (code, child.output(), child.errorOutput())
    }

    static func baseEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("DISCORD_") || ["BROKER_URL", "CACHE_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL"].contains(key))
        }
    }

    /// Point 2: a CRLF env file with a bad value: one line naming the variable, no secret anywhere.
    @Test func windowsEnvFileWithABadValuePrintsOneLineWithoutSecrets() async throws {
        try await Harness.with { h in
            let path = h.directory + "/aa.env"
            let secrets = ["MTAx.bot-token-SECRET", "app-SECRET-value", "brokerSECRETpass", "cacheSECRETpass", "dbSECRETpass"]
            let file = [
                "# Alliance Auth", "export DISCORD_BOT_TOKEN=\"\(secrets[0])\"", "DISCORD_APP_SECRET='\(secrets[1])'",
                "BROKER_URL=redis://:\(secrets[2])@127.0.0.1:\(h.port)/0", "CACHE_URL=redis://:\(secrets[3])@127.0.0.1:\(h.port)/1",
                "DATABASE_URL=mysql://aa:\(secrets[4])@127.0.0.1:3306/aa", "DISCORD_GUILD_ID=123456789", "DISCORD_TASKS_MAX_RETRIES=lots", "",
            ].joined(separator: "\r\n")
            try file.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await Self.runBare(h, ["status", "--env-file", path], environment: Self.baseEnvironment())
            #expect(result.code == 2)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains("DISCORD_TASKS_MAX_RETRIES") && result.stderr.contains("'lots'"), "\(result.stderr)")
            for secret in secrets { #expect(!(result.stderr + result.stdout).contains(secret), "\(result.stderr)") }

            // A URL with a bad port names its variable and never prints the password.
            let badURL = file.replacingOccurrences(of: "@127.0.0.1:\(h.port)/1", with: "@127.0.0.1:notaport/1")
                .replacingOccurrences(of: "DISCORD_TASKS_MAX_RETRIES=lots", with: "DISCORD_TASKS_MAX_RETRIES=3")
            try badURL.write(toFile: path, atomically: true, encoding: .utf8)
            let second = try await Self.runBare(h, ["status", "--env-file", path], environment: Self.baseEnvironment())
            #expect(second.code == 2 && second.stderr.contains("CACHE_URL"), "\(second.stderr)")
            for secret in secrets { #expect(!second.stderr.contains(secret), "\(second.stderr)") }

            // A good CRLF file works: no stray carriage return in any value.
            let good = "BROKER_URL=redis://127.0.0.1:\(h.port)/0\r\nDISCORD_WORKER_QUEUES=services\r\n"
            try good.write(toFile: path, atomically: true, encoding: .utf8)
            let ok = try await Self.runBare(h, ["status", "--json", "--env-file", path], environment: Self.baseEnvironment())
            #expect(ok.stdout.contains("\"services\""), "\(ok.stdout) \(ok.stderr)")
        }
    }

    /// Point 6: another service's task on `services` goes to `celery` by default, bytes untouched, priority
    /// kept; `dead-letter` keeps the old behaviour; forwarding to a consumed queue is refused at start.
    @Test func foreignTasksAreForwardedUntouchedAtTheirPriority() async throws {
        try await Harness.with { h in
            let id = try await h.binary.enqueue("allianceauth.services.modules.foo.tasks.sync", ["--args", "[1]", "--priority", "7", "--queue", "services"])
            let sourceKey = try #require(try await h.client.command(["KEYS", "services*"]).array?.first?.string)
            let original = try #require(try await h.client.command(["LINDEX", RedisArgument(sourceKey), "0"]).bytes)
            let worker = try h.startWorker(["run", "--exit-when-idle"], name: "worker")
            #expect(try await h.exitCode(of: worker) == 0, "\(worker.log.suffix(2000))")
            let (_, priority) = KombuKeysMirror.parse(sourceKey)
            let target = priority == 0 ? "celery" : "celery\u{06}\u{16}\(priority)"
            let forwarded = try await h.client.command(["LRANGE", RedisArgument(target), "0", "-1"]).array?.compactMap(\.bytes) ?? []
            #expect(forwarded == [original], "the message moved to \(target.debugDescription) byte for byte")
            #expect(worker.log.contains("forwarded") && worker.log.contains(id))
            let status = try await h.settledStatus()
            #expect(status.deadLetters == 0 && status.depth("services") == 0)

            _ = try await h.binary.enqueue("other.service.task", ["--queue", "services"])
            let strict = try h.startWorker(["run", "--exit-when-idle"], name: "strict", settings: ["DISCORD_WORKER_FOREIGN_TASKS": "dead-letter"])
            #expect(try await h.exitCode(of: strict) == 0)
            #expect(try await h.binary.status().deadLetters == 1)

            let loop = try await h.binary.run(["run"], settings: ["DISCORD_WORKER_FOREIGN_TASKS": "forward:services"])
            #expect(loop.exitCode == 2 && loop.stderr.contains("DISCORD_WORKER_FOREIGN_TASKS"), "\(loop.stderr)")
        }
    }

    /// Point 3: `status` exits 3 without a live worker, 0 with one, 4 when the 401 latch is set where the
    /// worker's limiter writes it (CACHE_URL's database), and ignores a latch in the broker database.
    @Test func statusExitCodesAndTheLatchWhereItIsWritten() async throws {
        try await Harness.with { h in
            let none = try await h.binary.run(["status"])
            #expect(none.exitCode == 3 && none.stdout.contains("no live worker"), "\(none.stdout)")

            let worker = try h.startWorker(["run"], name: "worker")
            try await waitUntil(timeout: .seconds(20), "a healthy status") { try await h.binary.run(["status"]).exitCode == 0 }

            let latch = RateLimitKeys(keyPrefix: RateLimitOptions().keyPrefix, botToken: Secret("test-token-not-a-real-one")).unauthorizedLatch
            try await h.client.command(["SET", RedisArgument(latch), "1"])  // db 0: the broker, not where it is written
            #expect(try await h.binary.run(["status"]).exitCode == 0, "a latch in the broker database is not the worker's")
            try await withRedisClient(h.redis.url(db: 1), name: "cache") { cache in
                try await cache.command(["SET", RedisArgument(latch), "1"])
            }
            let stopped = try await h.binary.run(["status"])
            #expect(stopped.exitCode == 4, "\(stopped.stdout)")
            #expect(stopped.stdout.contains("STOPPED") && stopped.stdout.contains("DISCORD_BOT_TOKEN"), "\(stopped.stdout)")
            let json = try await h.binary.run(["status", "--json"])
            #expect(json.exitCode == 4 && json.stdout.contains("\"healthy\":false"), "\(json.stdout)")
            let closed = try Loopback.freePort()
            let noCache = try await h.binary.run(["status"], settings: ["CACHE_URL": "redis://127.0.0.1:\(closed)/1"])
            #expect(noCache.exitCode == 1 && noCache.stdout.contains("CACHE_URL") && noCache.stdout.contains("queue services"), "\(noCache.stdout)")
            let help = try await h.binary.run(["status", "--help"])
            #expect(help.stdout.contains("Exit codes"))
            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
        }
    }

    /// Point 5: a wrong CACHE_URL inside a task is an error with a growing pause, not an INFO "waits for a
    /// rate limit" every 5 s; `status` names it and exits 5.
    @Test func wrongCacheURLIsAnErrorWithBackoffShownInStatus() async throws {
        try await Harness.with { h in
            let path = h.directory + "/aa-linked.db"
            let db = try AADatabaseBuilder(path: path)
            let pk = try db.addUser(username: "pilot", groups: ["Alliance"], discordUID: 300_000_000_000_000_001)
            let closedPort = try Loopback.freePort()
            let worker = try h.startWorker(["run"], name: "worker", settings: [
                "CACHE_URL": "redis://127.0.0.1:\(closedPort)/1", "DATABASE_URL": "sqlite:///" + path,
            ])
            _ = try await h.binary.enqueue("discord.update_groups", ["--args", "[\(pk)]"])
            try await worker.waitForLog("a service it needs is unavailable")
            #expect(!worker.log.contains("waits for a rate limit"))
            let line = try #require(worker.log.split(separator: "\n").first { $0.contains("a service it needs is unavailable") })
            #expect(line.contains("error") && line.contains("retry_in_s=5"), "\(line)")
            var status = try await h.binary.run(["status", "--json"])
            try await waitUntil(timeout: .seconds(20), "status to report the problem") {
                status = try await h.binary.run(["status", "--json"])
                return status.exitCode == 5
            }
            #expect(status.stdout.contains("\(closedPort)"), "the problem names the unreachable Redis: \(status.stdout)")
            #expect(try await h.binary.status().delayed == 1, "the task waits in the delayed set, not lost")
            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker) == 0)
        }
    }

    /// Point 4: `check` checks BROKER_URL, CACHE_URL and DATABASE_URL, each failure naming its own variable
    /// (the Discord part still passes against the sandbox); the callback keeps its trailing slash; a roles
    /// cache age in AA's seconds is flagged.
    @Test func checkNamesEachServiceItNeeds() async throws {
        var configuration = SandboxConfiguration(botToken: "test-token-not-a-real-one", guildID: 100_000_000_000_000_001)
        configuration.profile = .unlimited
        let sandbox = try await SandboxServer.start(configuration: configuration)
        do {
            try await Harness.with(["DISCORD_API_BASE_URL": sandbox.baseURL]) { h in
                let closed = try Loopback.freePort()
                let good = try await h.binary.run(["check"], settings: [
                    "DISCORD_CALLBACK_URL": "https://auth.example.com/discord/callback/", "DISCORD_ROLES_CACHE_MAX_AGE": "7200",
                ])
                #expect(good.stdout.contains("ok    BROKER_URL reachable") && good.stdout.contains("ok    CACHE_URL reachable")
                        && good.stdout.contains("ok    DATABASE_URL opens"), "\(good.stdout)")
                #expect(good.stdout.contains("ok    DISCORD_CALLBACK_URL looks like AA's callback"), "\(good.stdout)")
                #expect(good.stdout.contains("warn  DISCORD_ROLES_CACHE_MAX_AGE is 7200") && good.stdout.contains("AA 5.x's seconds"), "\(good.stdout)")
                #expect(good.stdout.contains("ok    DISCORD_BOT_TOKEN is valid"), "\(good.stdout)")

                let noSlash = try await h.binary.run(["check"], settings: ["DISCORD_CALLBACK_URL": "https://auth.example.com/discord/callback"])
                #expect(noSlash.stdout.contains("warn  DISCORD_CALLBACK_URL does not end with AA's /discord/callback/"), "\(noSlash.stdout)")

                let broker = try await h.binary.run(["check"], settings: ["BROKER_URL": "redis://127.0.0.1:\(closed)/0"])
                #expect(broker.exitCode == 1 && broker.stdout.contains("FAIL  BROKER_URL"), "\(broker.stdout)")
                #expect(!broker.stdout.contains("DISCORD_API_BASE_URL"), "a wrong broker is not a Discord problem: \(broker.stdout)")
                #expect(broker.stdout.contains("ok    DISCORD_BOT_TOKEN is valid"), "\(broker.stdout)")

                let cache = try await h.binary.run(["check"], settings: ["CACHE_URL": "redis://127.0.0.1:\(closed)/1"])
                #expect(cache.exitCode == 1 && cache.stdout.contains("FAIL  CACHE_URL"), "\(cache.stdout)")
                #expect(!cache.stdout.contains("DISCORD_API_BASE_URL") && cache.stderr.contains("needs CACHE_URL"), "\(cache.stdout)\(cache.stderr)")

                let database = try await h.binary.run(["check"], settings: ["DATABASE_URL": "sqlite:////nonexistent-dir/aa.db"])
                #expect(database.exitCode == 1 && database.stdout.contains("FAIL  DATABASE_URL"), "\(database.stdout)")
            }
        } catch {
            await sandbox.shutdown()
            throw error
        }
        await sandbox.shutdown()
    }
}

/// The priority step of a kombu list key (`queue`, or `queue\x06\x16<step>`).
enum KombuKeysMirror {
    static func parse(_ key: String) -> (queue: String, priority: Int) {
        let parts = key.components(separatedBy: "\u{06}\u{16}")
        return (parts[0], parts.count > 1 ? Int(parts[1]) ?? 0 : 0)
    }
}
