import DiscordSandbox
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The built `discord-sandbox` next to the test bundle (present after `swift build --build-tests`).
private let executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    .deletingLastPathComponent().appendingPathComponent("discord-sandbox")

private enum ExecutableTestError: Error, CustomStringConvertible {
    case noListeningLine
    case notBuilt(String)

    var description: String {
        switch self {
        case .noListeningLine: "discord-sandbox printed no \"listening\" line"
        case .notBuilt(let path): "discord-sandbox is not built: expected \(path) (run `swift build --build-tests` first)"
        }
    }
}

/// Fails (never skips) when the executable is missing: `swift build --build-tests`, as CI runs it, builds it.
@Suite("discord-sandbox executable")
struct ExecutableTests {
    /// Runs the executable, waits for its "listening" line, returns the process and port.
    private func launch(_ arguments: [String]) async throws -> (Process, Int) {
        guard FileManager.default.isExecutableFile(atPath: executableURL.path) else {
            throw ExecutableTestError.notBuilt(executableURL.path)
        }
        let process = Process()
        process.executableURL = executableURL
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                continuation.finish()
            } else {
                continuation.yield(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        let port = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                var buffered = ""
                for await chunk in lines {
                    buffered += chunk
                    if let line = buffered.split(separator: "\n").first(where: { $0.hasPrefix("discord-sandbox listening on http://127.0.0.1:") }),
                        let port = Int(line.split(separator: ":").last ?? "")
                    {
                        return port
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let port else {
            process.terminate()
            throw ExecutableTestError.noListeningLine
        }
        return (process, port)
    }

    private func terminateAndWait(_ process: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            if process.isRunning {
                process.terminate()  // SIGTERM
            } else {
                process.terminationHandler = nil
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    @Test func startsPrintsTheListeningLineServesAndStopsOnSIGTERM() async throws {
        let seed = SandboxSeed.generated(memberCount: 4, roleNames: ["Seeded"])
        let seedFile = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-seed-\(UUID().uuidString).json")
        try JSONEncoder().encode(seed).write(to: seedFile)
        defer { try? FileManager.default.removeItem(at: seedFile) }

        let (process, port) = try await launch([
            "--port", "0", "--profile", "unlimited", "--bot-token", "exe-token", "--seed", seedFile.path,
            "--route-limit", "get_member=2/30", "--no-members-intent",
        ])
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            let health = try await client.raw(.get, "/_sandbox/health")
            #expect(health.status == .ok)
            let member = try await client.api(.get, "guilds/\(IDs.guild)/members/\(IDs.user(1))", authorization: "Bot exe-token")
            #expect(member.status == .ok)
            #expect(member.header("X-RateLimit-Limit") == "2")
            let list = try await client.api(.get, "guilds/\(IDs.guild)/members", authorization: "Bot exe-token")
            #expect(list.errorCode == 50001)
            let roles = try await client.api(.get, "guilds/\(IDs.guild)/roles", authorization: "Bot exe-token")
            #expect(roles.array.contains { $0["name"] as? String == "Seeded" })
        }
        #expect(await terminateAndWait(process) == 0)
    }
}
