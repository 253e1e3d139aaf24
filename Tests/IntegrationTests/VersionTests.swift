import Foundation
import Testing
import TestSupport

/// `--version`, the version in `status --json` and in the "worker started" line, from the built binary.
@Suite("Version")
struct VersionTests {
    @Test func versionFlagPrintsReleaseCommitSwiftAndLibraries() async throws {
        try await Harness.with { h in
            let result = try await h.binary.run(["--version"])
            #expect(result.exitCode == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("discord-worker 0.") == true, "\(result.stdout)")
            for key in ["commit", "swift", "hiredis", "libcurl", "sqlite"] {
                #expect(lines.contains { $0.hasPrefix(key + ": ") }, "\(key) in \(result.stdout)")
            }
        }
    }

    @Test func statusAndTheStartupLineNameTheBuild() async throws {
        try await Harness.with { h in
            let worker = try h.startWorker(["run"], name: "versioned")
            try await worker.waitForLog("worker started")
            let started = worker.log.split(separator: "\n").first { $0.contains("worker started") } ?? ""
            #expect(started.contains("version=0."), "\(started)")

            let out = try await h.binary.succeed(["status", "--json"])
            let status = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
            let version = try #require(status["version"] as? [String: Any], "\(out)")
            let release = try #require(version["version"] as? String)
            #expect(version["commit"] is String && version["swift"] is String)
            let libraries = try #require(version["libraries"] as? [String: String])
            #expect(Set(libraries.keys).isSuperset(of: ["hiredis", "libcurl", "sqlite"]))
            let workers = try #require(status["workers"] as? [[String: Any]])
            #expect(workers.count == 1)
            #expect((workers.first?["version"] as? String)?.hasPrefix(release + " (commit ") == true, "\(workers)")

            worker.signal(SIGTERM)
            #expect(try await h.exitCode(of: worker, timeout: .seconds(30)) == 0, "log:\n\(worker.log.suffix(3000))")
        }
    }
}
