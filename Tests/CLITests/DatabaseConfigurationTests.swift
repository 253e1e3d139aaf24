@testable import DiscordWorkerCLI
import Testing

@Suite("Database settings")
struct DatabaseConfigurationTests {
    @Test func poolSizeAndMySQLSchemes() throws {
        #expect(try Configuration(environment: [:]).databasePoolSize == 4)
        #expect(try Configuration(environment: ["DISCORD_WORKER_DB_POOL": "8"]).databasePoolSize == 8)
        for bad in ["0", "-1", "many", "257"] {
            let error = #expect(throws: ConfigurationError.self) {
                try Configuration(environment: ["DISCORD_WORKER_DB_POOL": bad])
            }
            #expect(error?.variable == "DISCORD_WORKER_DB_POOL")
        }
        for url in ["mysql://aa:pw@db/aa", "mariadb://aa:pw@db/aa", "sqlite:////var/aa.db"] {
            #expect(try Configuration(environment: ["DATABASE_URL": url]).databaseURL == url)
        }
    }
}
