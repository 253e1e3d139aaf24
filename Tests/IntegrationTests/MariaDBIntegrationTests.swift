import CeleryProtocol
import DiscordSandbox
import Foundation
import RedisClient
import Testing
import TestSupport

/// The built binary against AA's database on a real mariadbd: AA's captured Celery messages end with
/// the right rows, and a database outage in the middle of a run loses nothing.
@Suite("MariaDB")
struct MariaDBIntegrationTests {
    static let token = "MTAwMDAwMDAwMDAwMDAwMDAx.GsEcRt.tOkEn-Value_that-must-NEVER-be-logged"
    static let guildID: UInt64 = 800_000_000_000_000_001

    static func uid(_ index: Int) -> UInt64 { SandboxSeed.firstUserID + UInt64(index) }

    /// The sandbox (no rate limits) and the worker settings pointing at it and at `databaseURL`.
    /// Runs `body` with a sandbox of `members` members, shut down afterwards.
    static func withSandbox(members: Int = 6, _ body: (SandboxServer) async throws -> Void) async throws {
        var configuration = SandboxConfiguration(botToken: token, guildID: guildID)
        configuration.profile = .unlimited
        try await TestSupport.withSandbox(
            configuration: configuration,
            seed: .generated(memberCount: members, roleNames: ["Member", "Alliance", "Corporation"]), body)
    }

    static func settings(_ sandbox: SandboxServer, databaseURL: String) -> [String: String] {
        [
            "DATABASE_URL": databaseURL, "DISCORD_API_BASE_URL": sandbox.baseURL, "DISCORD_GUILD_ID": String(guildID),
            "DISCORD_BOT_TOKEN": token, "DISCORD_WORKER_QUEUES": "discord",
        ]
    }

    func push(_ h: Harness, _ fixture: String) async throws {
        let bytes = try CeleryFixtures.bytes(fixture)
        try await h.lpush(try TaskMessage.decode(bytes, poppedFrom: "discord").listKey, bytes)
    }

    func roleNames(_ sandbox: SandboxServer, _ uid: UInt64) -> Set<String> {
        Set(sandbox.state.member(uid)?.roles.compactMap { sandbox.state.role($0)?.name } ?? [])
    }

    @Test func capturedMessagesEndWithTheRightRows() async throws {
        let builder = try await AADatabaseBuilder.mariaDB()
        defer { try? builder.mariaDB?.drop() }
        let pk = try builder.addUser(username: "alice", state: "Member", groups: ["Alliance"], discordUID: Int64(Self.uid(1)))
        #expect(pk == 1)
        try await Self.withSandbox { sandbox in
            try await Harness.with(Self.settings(sandbox, databaseURL: builder.databaseURL)) { h in
                // AA's DiscordService.update_groups: kwargs {"user_pk": 1, "state_name": "Guest"}.
                try await push(h, "svc_update_groups.json")
                let first = try h.startWorker(["run", "--exit-when-idle"], name: "worker-1")
                #expect(try await h.exitCode(of: first) == 0, "log:\n\(first.log.suffix(3000))")
                #expect(roleNames(sandbox, Self.uid(1)) == ["Alliance", "Guest"])

                // AA's unknown-member path: delete_user.delay(1, notify_user=True), with its once-lock.
                let lock = ":1:qo_discord.delete_user_notify_user-True_user_pk-1"
                _ = try await h.client.command(["SELECT", "1"])
                _ = try await h.client.command(["SET", RedisArgument(lock), "x"])
                _ = try await h.client.command(["SELECT", "0"])
                try await push(h, "delete_user_delay.json")
                let second = try h.startWorker(["run", "--exit-when-idle"], name: "worker-2")
                #expect(try await h.exitCode(of: second) == 0, "log:\n\(second.log.suffix(3000))")
                #expect(sandbox.state.member(Self.uid(1)) == nil)
                #expect(try builder.storedDiscordLink(userPK: 1) == nil)
                let notifications = try builder.notifications(userPK: 1)
                #expect(notifications.map(\.title) == ["Discord Account Disabled"])
                #expect(try await h.binary.status().deadLetters == 0)
            }
        }
    }

    /// `check` reports the database; a bad DATABASE_URL stops `run` and `check` with one line.
    @Test func checkReportsTheDatabaseAndBadCredentialsAreOneLine() async throws {
        let builder = try await AADatabaseBuilder.mariaDB()
        defer { try? builder.mariaDB?.drop() }
        try builder.addUser(username: "alice", discordUID: Int64(Self.uid(1)))
        let db = try #require(builder.mariaDB)
        _ = try db.asRoot { root in
            try root.run(
                "INSERT INTO django_migrations (app, name, applied) VALUES ('discord', '0001_initial', ?), ('discord', '0002_auto', ?)",
                ["2024-01-01 00:00:00", "2024-01-01 00:00:01"])
        }
        try await Self.withSandbox { sandbox in
            try await Harness.with(Self.settings(sandbox, databaseURL: builder.databaseURL)) { h in
                let check = try await h.binary.run(["check"])
                #expect(check.stdout.contains("reachable: server 10.11"), "\(check.stdout)")
                #expect(check.stdout.contains("ok    Alliance Auth's discord migrations applied: 2 (last 0002_auto)"), "\(check.stdout)")
                #expect(check.stdout.contains("ok    1 users linked to Discord"), "\(check.stdout)")
                #expect(!check.stdout.contains(MariaDBServerProcess.password) && !check.stdout.contains(MariaDBServerProcess.escapedPassword))

                let wrong = builder.databaseURL.replacingOccurrences(of: MariaDBServerProcess.escapedPassword, with: "hunter2")
                let badCheck = try await h.binary.run(["check"], settings: ["DATABASE_URL": wrong])
                #expect(badCheck.exitCode != 0)
                #expect(badCheck.stdout.contains("FAIL  DATABASE_URL mysql://\(MariaDBServerProcess.user):<redacted>@"), "\(badCheck.stdout)")
                #expect(badCheck.stdout.contains("check the user and password"), "\(badCheck.stdout)")
                let run = try await h.binary.run(["run"], settings: ["DATABASE_URL": wrong])
                #expect(run.exitCode == 2, "\(run.stderr)")
                let lines = run.stderr.split(separator: "\n").filter { $0.contains("DATABASE_URL") }
                #expect(lines.count == 1, "\(run.stderr)")
                #expect(lines.first?.contains("<redacted>") == true)
                #expect(!run.stderr.contains("hunter2") && !badCheck.stdout.contains("hunter2"))
            }
        }
    }

    /// mariadbd is killed under a running worker; tasks arriving meanwhile wait (uncounted: with
    /// DISCORD_TASKS_MAX_RETRIES=0 a counted retry would fail them) and all complete once it is back.
    @Test func killingTheDatabaseMidRunLosesNothing() async throws {
        try await withMariaDB { server in
            let builder = try AADatabaseBuilder(mariaDB: try MariaDBAADatabase.create(on: server))
            for index in 1...4 {
                try builder.addUser(username: "u\(index)", groups: ["Alliance", "Corporation"], discordUID: Int64(Self.uid(index)))
            }
            try await Self.withSandbox { sandbox in
                var settings = Self.settings(sandbox, databaseURL: builder.databaseURL)
                settings["DISCORD_TASKS_MAX_RETRIES"] = "0"
                try await Harness.with(settings) { h in
                    let worker = try h.startWorker(["run"], name: "worker")
                    try await waitUntil(timeout: .seconds(20), "the worker to register") {
                        try await h.binary.status().workers.count == 1
                    }
                    _ = try await h.binary.enqueue("discord.update_groups", ["--kwargs", #"{"user_pk": 1}"#, "--queue", "discord"])
                    try await waitUntil(timeout: .seconds(30), "the first task to sync user 1") {
                        roleNames(sandbox, Self.uid(1)) == ["Alliance", "Corporation", "Member"]
                    }

                    await server.kill()
                    for pk in 2...4 {
                        _ = try await h.binary.enqueue("discord.update_groups", ["--kwargs", #"{"user_pk": \#(pk)}"#, "--queue", "discord"])
                    }
                    try await worker.waitForLog("cannot reach the database server", timeout: .seconds(30))

                    try await server.startAgain()
                    try await waitUntil(timeout: .seconds(60), "every task to complete after the database came back") {
                        (2...4).allSatisfy { roleNames(sandbox, Self.uid($0)) == ["Alliance", "Corporation", "Member"] }
                    }
                    let status = try await h.settledStatus()
                    #expect(status.deadLetters == 0)
                    #expect(status.inFlight == 0)
                    #expect(!worker.log.contains(MariaDBServerProcess.password))
                    worker.signal(SIGTERM)
                    #expect(try await h.exitCode(of: worker) == 0, "log:\n\(worker.log.suffix(3000))")
                }
            }
        }
    }
}
