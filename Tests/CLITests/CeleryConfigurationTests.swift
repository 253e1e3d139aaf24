@testable import DiscordWorkerCLI
import Testing

@Suite("Configuration: Celery node, events, AA dashboard statistics")
struct CeleryConfigurationTests {
    @Test func defaultsAndValues() throws {
        let defaults = try Configuration(environment: [:])
        #expect(defaults.nodeName == nil)  // RunCommand: discord-worker@HOST
        #expect(defaults.sendEvents == false)
        #expect(defaults.dashboardTaskStatisticsDisabled == false)
        let set = try Configuration(environment: [
            "DISCORD_WORKER_NODE_NAME": "discord-worker-2@auth", "DISCORD_WORKER_SEND_EVENTS": "True",
            "ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED": "1",
        ])
        #expect(set.nodeName == "discord-worker-2@auth")
        #expect(set.sendEvents)
        #expect(set.dashboardTaskStatisticsDisabled)
    }

    @Test func badValuesNameTheVariable() {
        for bad in ["no-at-sign", "@host", "name@", "two words@host"] {
            #expect(throws: ConfigurationError(
                variable: "DISCORD_WORKER_NODE_NAME", problem: "must be a Celery node name like name@host (got '\(bad)')")) {
                try Configuration(environment: ["DISCORD_WORKER_NODE_NAME": bad])
            }
        }
        #expect(throws: ConfigurationError.self) { try Configuration(environment: ["DISCORD_WORKER_SEND_EVENTS": "maybe"]) }
        #expect(throws: ConfigurationError.self) {
            try Configuration(environment: ["ALLIANCEAUTH_DASHBOARD_TASK_STATISTICS_DISABLED": "sure"])
        }
    }
}
