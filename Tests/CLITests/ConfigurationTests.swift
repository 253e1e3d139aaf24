@testable import DiscordWorkerCLI
import CeleryProtocol
import Foundation
import RedisClient
import Testing

@Suite("Configuration from the environment")
struct ConfigurationTests {
    @Test func defaultsMatchAlliancAuthAndTheSeed() throws {
        let c = try Configuration(environment: [:])
        #expect(c.brokerURL == (try RedisURL("redis://127.0.0.1:6379/0")))
        #expect(c.cacheURL.database == 1)
        #expect(c.queues == ["services"])
        #expect(c.retryPauseSeconds == 60 && c.maxRetries == 3)
        #expect(c.rolesCacheMaxAgeMilliseconds == 7_200_000)
        #expect(c.guildNameCacheMaxAgeSeconds == 86_400)
        #expect(c.apiBaseURL == "https://discord.com/api/v10/")
        #expect(c.connectTimeoutSeconds == 5 && c.readTimeoutSeconds == 30)
        #expect(c.syncNames == false && c.disableRoleCreation == false)
        #expect(c.leaseSeconds == 30)
        #expect(c.resultBackendURL == nil)
    }

    @Test func booleansAcceptPythonAndUsualSpellings() throws {
        for yes in ["True", "true", "1", "yes", "YES", "on"] {
            #expect(try Configuration(environment: ["DISCORD_SYNC_NAMES": yes]).syncNames)
        }
        for no in ["False", "false", "0", "no", "off"] {
            #expect(try Configuration(environment: ["DISCORD_SYNC_NAMES": no]).syncNames == false)
        }
        #expect(throws: ConfigurationError(variable: "DISCORD_SYNC_NAMES", problem: "must be a boolean: True/False, 1/0, yes/no, true/false (got 'maybe')")) {
            try Configuration(environment: ["DISCORD_SYNC_NAMES": "maybe"])
        }
    }

    @Test func badValuesNameTheVariableAndNeverTheSecret() {
        func problem(_ env: [String: String]) -> String {
            do { _ = try Configuration(environment: env); return "" } catch { return error.description }
        }
        #expect(problem(["DISCORD_TASKS_MAX_RETRIES": "abc"]).contains("DISCORD_TASKS_MAX_RETRIES"))
        #expect(problem(["DISCORD_GUILD_ID": "my guild"]).contains("DISCORD_GUILD_ID"))
        #expect(problem(["BROKER_URL": "http://nope"]).hasPrefix("configuration error: BROKER_URL"))
        #expect(problem(["DISCORD_WORKER_CONCURRENCY": "0"]).contains("DISCORD_WORKER_CONCURRENCY"))
        #expect(problem(["DATABASE_URL": "postgres://x"]).contains("DATABASE_URL"))
        let token = problem(["DISCORD_BOT_TOKEN": "secret token value"])
        #expect(token.contains("DISCORD_BOT_TOKEN") && !token.contains("secret token value"))
        let broker = problem(["BROKER_URL": "redis://:hunter2@host:notaport/0"])
        #expect(broker.contains("BROKER_URL") && !broker.contains("hunter2"))
    }

    @Test func timeoutRedisURLsQueuesAndBotPrefix() throws {
        let one = try Configuration(environment: ["DISCORD_API_TIMEOUT": "12"])
        #expect(one.connectTimeoutSeconds == 12 && one.readTimeoutSeconds == 12)
        let two = try Configuration(environment: ["DISCORD_API_TIMEOUT": "(5, 30)"])
        #expect(two.connectTimeoutSeconds == 5 && two.readTimeoutSeconds == 30)
        let c = try Configuration(environment: [
            "BROKER_URL": "unix:///run/redis.sock?db=2", "CACHE_URL": "redis://user:pw@10.0.0.1:6380/3",
            "DISCORD_WORKER_QUEUES": "services, discord", "DISCORD_BOT_TOKEN": "Bot abc.def",
            "DISCORD_API_BASE_URL": "http://127.0.0.1:8976/api/v10", "CELERY_RESULT_BACKEND": "redis://127.0.0.1:6379/0",
        ])
        #expect(c.brokerURL.endpoint == .unix(path: "/run/redis.sock") && c.brokerURL.database == 2)
        #expect(c.cacheURL.username == "user" && c.cacheURL.password == "pw" && c.cacheURL.database == 3)
        #expect(c.queues == ["services", "discord"])
        #expect(c.botToken?.value == "abc.def")
        #expect(c.botToken?.description == "<redacted>")
        #expect(c.apiBaseURL == "http://127.0.0.1:8976/api/v10/")
        #expect(c.resultBackendURL?.database == 0)
    }

    @Test func routesComeFromTheConfiguredQueues() throws {
        let unset = try Configuration(environment: [:])
        #expect(unset.taskRoutes.queue(for: "discord.update_groups") == "services" && unset.taskRoutes.queue(for: "celery.ping") == "services")
        #expect(unset.continuationRoutes.queue(for: "discord.update_groups") == "services")
        #expect(unset.continuationRoutes.queue(for: "tests.add") == "celery", "Celery's default queue for other names")
        let set = try Configuration(environment: ["DISCORD_WORKER_QUEUES": "discord, services"])
        #expect(set.taskRoutes.queue(for: "discord.update_groups") == "discord" && set.taskRoutes.queue(for: "celery.ping") == "discord")
        #expect(set.continuationRoutes.route("discord.delete_user") == "discord" && set.continuationRoutes.route("tests.add") == nil)
    }

    @Test func envFileFillsWhatTheEnvironmentLacks() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("env-\(UUID().uuidString)").path
        try """
        # comment
        export DISCORD_GUILD_ID=123456789012345678
        DISCORD_SYNC_NAMES="True"
        DISCORD_TASKS_RETRY_PAUSE='5'

        DISCORD_TASKS_MAX_RETRIES=7
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let c = try Configuration(environment: ["DISCORD_TASKS_MAX_RETRIES": "1"], envFile: path)
        #expect(c.guildID == 123456789012345678 && c.syncNames && c.retryPauseSeconds == 5)
        #expect(c.maxRetries == 1)  // the environment wins
        #expect(throws: ConfigurationError.self) { try Configuration(environment: [:], envFile: path + ".missing") }
    }
}
