@testable import DiscordWorkerCLI
import Testing

@Suite("Operations settings")
struct OperationsSettingsTests {
    @Test func endpointIsOffAndLogsAreTextByDefault() throws {
        let c = try Configuration(environment: [:])
        #expect(c.httpAddress == nil && c.logFormat == "text")
    }

    @Test func addressAndFormatAreRead() throws {
        let c = try Configuration(environment: ["DISCORD_WORKER_HTTP_ADDRESS": "0.0.0.0:9808", "DISCORD_WORKER_LOG_FORMAT": "JSON"])
        #expect(c.httpAddress == "0.0.0.0:9808" && c.logFormat == "json")
        #expect(try Configuration(environment: ["DISCORD_WORKER_HTTP_ADDRESS": "[::1]:9808"]).httpAddress == "[::1]:9808")
    }

    @Test func badValuesNameTheVariable() {
        for bad in ["9808x", "localhost", "127.0.0.1:70000", "127.0.0.1:"] {
            #expect(throws: ConfigurationError.self) { try Configuration(environment: ["DISCORD_WORKER_HTTP_ADDRESS": bad]) }
        }
        #expect(throws: ConfigurationError(variable: "DISCORD_WORKER_LOG_FORMAT", problem: "must be text or json (got 'xml')")) {
            try Configuration(environment: ["DISCORD_WORKER_LOG_FORMAT": "xml"])
        }
    }
}
