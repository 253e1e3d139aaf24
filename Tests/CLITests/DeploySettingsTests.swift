import CeleryProtocol
@testable import DiscordWorkerCLI
import Foundation
import Testing

/// No drift between the deployment files and the binary: every setting a file in `deploy/` names exists
/// in the configuration code, and the KEDA scaler watches exactly the queue's Redis lists.
@Suite("Deploy files against the configuration")
struct DeploySettingsTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/CLITests/DeploySettingsTests.swift
        return url
    }()

    /// Deployment files: everything under deploy/ except deploy/dev (the developer scripts).
    static func deployFiles() throws -> [URL] {
        let deploy = root.appendingPathComponent("deploy")
        guard let walker = FileManager.default.enumerator(at: deploy, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var files: [URL] = []
        for case let url as URL in walker {
            let relative = url.path.dropFirst(deploy.path.count + 1)
            if relative.hasPrefix("dev/") { continue }
            if (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    @Test func everySettingNamedInDeployExists() throws {
        let files = try Self.deployFiles()
        let names = files.map { $0.lastPathComponent }
        for expected in ["env.example", "Dockerfile", "discord-worker.conf", "discord-worker.service", "deployment.yaml",
                         "configmap.yaml", "secret.example.yaml", "keda-scaledobject.yaml", "poddisruptionbudget.yaml"] {
            #expect(names.contains(expected), "deploy/ has \(expected)")
        }
        let settingPattern = #/DISCORD_[A-Z_]+|BROKER_URL|CACHE_URL|DATABASE_URL|CELERY_RESULT_BACKEND|ALLIANCEAUTH_[A-Z_]+/#
        // Names in deploy/ that are not run-time settings: the build's commit (read by Package.swift at build
        // time), deploy/test-package.sh's own switch, and AA's guild-name cache key prefix.
        let notSettings: Set<String> = ["DISCORD_WORKER_GIT_COMMIT", "DISCORD_SANDBOX", "DISCORD_GUILD_NAME__"]
        var seen = 0
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: settingPattern) {
                seen += 1
                let name = String(match.output)
                if notSettings.contains(name) { continue }
                #expect(Configuration.knownSettingNames.contains(name),
                        "\(file.path.dropFirst(Self.root.path.count + 1)) names \(name), which the program does not read")
            }
        }
        #expect(seen > 30)
    }

    /// The names the CLI reads from the environment are all in the known list (test-only switches aside).
    @Test func theKnownListCoversWhatTheCodeReads() throws {
        let sources = Self.root.appendingPathComponent("Sources/DiscordWorkerCLI")
        let testOnly: Set<String> = [TestTasks.environmentVariable]
        for file in try FileManager.default.contentsOfDirectory(at: sources, includingPropertiesForKeys: nil) where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: #/"(DISCORD_[A-Z_]+|ALLIANCEAUTH_[A-Z_]+|BROKER_URL|CACHE_URL|DATABASE_URL|CELERY_RESULT_BACKEND)"/#) {
                let name = String(match.output.1)
                if testOnly.contains(name) { continue }
                #expect(Configuration.knownSettingNames.contains(name), "\(file.lastPathComponent) reads \(name)")
            }
        }
    }

    /// The ScaledObject has one trigger per priority list of `services`, with the exact key bytes.
    @Test func kedaWatchesEveryPriorityListOfTheQueue() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("deploy/kubernetes/keda-scaledobject.yaml"), encoding: .utf8)
        var lists: [String] = []
        for match in text.matches(of: #/listName: "([^"]*)"/#) {
            // YAML double-quoted: \xNN is one byte.
            var key = ""
            var rest = Substring(match.output.1)
            while let c = rest.first {
                if c == "\\", rest.dropFirst().first == "x", let byte = UInt8(rest.dropFirst(2).prefix(2), radix: 16) {
                    key.unicodeScalars.append(Unicode.Scalar(byte))
                    rest = rest.dropFirst(4)
                } else {
                    key.append(c)
                    rest = rest.dropFirst()
                }
            }
            lists.append(key)
        }
        #expect(lists == KombuKeys.prioritySteps.map { KombuKeys.listKey(queue: "services", priority: $0) })
        #expect(lists.count == 10 && lists[3] == "services\u{06}\u{16}3")
    }
}
