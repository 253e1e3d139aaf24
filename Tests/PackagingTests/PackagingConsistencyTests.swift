@testable import DiscordWorkerCLI
import Foundation
import Testing
import WorkerRuntime

/// No Docker engine runs here, so the Dockerfile is checked against what is tested: the same release build
/// as deploy/package.sh (deploy/build-release.sh), the same runtime packages (deploy/runtime-packages.txt),
/// a toolchain image of this compiler's release, and stop timeouts above the worker's shutdown grace in
/// every unit we ship. deploy/test-package.sh tests the artifacts themselves.
@Suite("Packaging consistency")
struct PackagingConsistencyTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: repo.appendingPathComponent(path), encoding: .utf8)
    }

    /// Lines without comments, continuation lines joined (Dockerfile and shell).
    static func instructions(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasSuffix("\\") {
                current += line.dropLast() + " "
            } else {
                current += line
                if !current.trimmingCharacters(in: .whitespaces).isEmpty { result.append(current) }
                current = ""
            }
        }
        return result
    }

    static var runtimePackages: [String] {
        get throws {
            try read("deploy/runtime-packages.txt").split(separator: "\n").compactMap { line in
                line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                    .split(separator: " ").first.map(String.init)
            }
        }
    }

    static var grace: Int { Int(WorkerOptions().shutdownGrace.components.seconds) }

    @Test func dockerfileAndPackageShareTheReleaseBuild() throws {
        let build = Self.instructions(try Self.read("deploy/build-release.sh"))
        let swiftBuilds = build.filter { $0.hasPrefix("swift build") && !$0.contains("--show-bin-path") }
        #expect(swiftBuilds == ["swift build -c release --product discord-worker --static-swift-stdlib --disable-local-rpath"])

        let docker = Self.instructions(try Self.read("deploy/docker/Dockerfile"))
        let package = Self.instructions(try Self.read("deploy/package.sh"))
        #expect(docker.contains { $0.hasPrefix("RUN ") && $0.contains("deploy/build-release.sh /out") })
        #expect(package.contains { $0.contains("deploy/build-release.sh") })
        // Neither builds the worker any other way.
        for line in docker + package where line.contains("swift build") {
            #expect(!line.contains("-c release") && !line.contains("--product discord-worker"), "\(line)")
        }
        #expect(docker.contains("COPY --from=build /out/discord-worker /usr/bin/discord-worker"))
    }

    @Test func dockerRuntimeStageAndDebDependOnTheSamePackages() throws {
        let packages = try Self.runtimePackages
        #expect(Set(["libhiredis0.14", "libcurl4", "libsqlite3-0", "libmariadb3", "ca-certificates"]).isSubset(of: packages))
        let docker = Self.instructions(try Self.read("deploy/docker/Dockerfile"))
        let runtime = try #require(docker.split { $0.hasPrefix("FROM ") }.last)
        #expect(runtime.contains("COPY deploy/runtime-packages.txt /tmp/runtime-packages.txt"))
        let install = try #require(runtime.first { $0.contains("apt-get install") })
        #expect(install.contains("$(sed 's/#.*//' /tmp/runtime-packages.txt)"), "\(install)")
        // The runtime stage installs nothing else (no curl, no -dev package).
        let afterInstall = install.components(separatedBy: "apt-get install").last ?? ""
        let command = afterInstall.components(separatedBy: "&&").first ?? ""
        let others = command.replacingOccurrences(of: "$(sed 's/#.*//' /tmp/runtime-packages.txt)", with: "")
            .split(separator: " ").filter { !$0.hasPrefix("-") }
        #expect(others.isEmpty, "the runtime stage also installs \(others)")
        let package = try Self.read("deploy/package.sh")
        #expect(package.contains("deploy/runtime-packages.txt"))
    }

    @Test func dockerBuildStageHasTheLibrariesSetupInstalls() throws {
        let setup = try Self.read("deploy/dev/setup.sh")
        let loop = try #require(setup.split(separator: "\n").first { $0.hasPrefix("for pkg in ") })
        let devLibraries = loop.split(separator: " ").filter { $0.hasPrefix("lib") && $0.hasSuffix("-dev") }.map(String.init)
        #expect(devLibraries.contains("libhiredis-dev"))
        let docker = Self.instructions(try Self.read("deploy/docker/Dockerfile"))
        let build = try #require(docker.split { $0.hasPrefix("FROM ") && !$0.contains(" AS build") }.first)
        let install = try #require(build.first { $0.contains("apt-get install") })
        for library in devLibraries + ["libmariadb-dev"] {
            #expect(install.contains(" \(library) "), "the Docker build stage lacks \(library)")
        }
    }

    @Test func toolchainImageMatchesThisCompilerAndTheRuntimeDebian() throws {
        let docker = Self.instructions(try Self.read("deploy/docker/Dockerfile"))
        let froms = docker.filter { $0.hasPrefix("FROM ") }
        #expect(froms.count == 2)
        let image = try #require(froms.first?.split(separator: " ").dropFirst().first.map(String.init))
        #expect(image.hasPrefix("swift:") && image.hasSuffix("-bookworm"), "\(image)")
        let tag = image.dropFirst("swift:".count).dropLast("-bookworm".count)
        // Same major.minor as the compiler the tests were built with (CI's toolchain).
        let majorMinor = BuildInfo.swiftVersion.split(separator: ".").prefix(2).joined(separator: ".")
        #expect(tag == majorMinor || tag.hasPrefix(majorMinor + "."), "image \(image), compiler \(BuildInfo.swiftVersion)")
        #expect(froms.last == "FROM debian:bookworm-slim", "the runtime's Debian release must be the build image's")
    }

    @Test func containerIsNonRootStopsWithSIGTERMAndChecksHealth() throws {
        let docker = Self.instructions(try Self.read("deploy/docker/Dockerfile"))
        let user = try #require(docker.last { $0.hasPrefix("USER ") })
        #expect(!user.contains("root") && !user.hasPrefix("USER 0"), "\(user)")
        #expect(docker.contains("STOPSIGNAL SIGTERM"))
        let health = try #require(docker.first { $0.hasPrefix("HEALTHCHECK ") })
        #expect(health.contains("discord-worker-healthcheck"))
        #expect(docker.contains("COPY deploy/docker/healthcheck.sh /usr/local/bin/discord-worker-healthcheck"))
        let script = try Self.read("deploy/docker/healthcheck.sh")
        #expect(script.contains("DISCORD_WORKER_HTTP_ADDRESS") && script.contains("/healthz"))
    }

    @Test func everyStopTimeoutExceedsTheShutdownGrace() throws {
        func number(after key: String, in text: String) -> Int? {
            guard let range = text.range(of: key) else { return nil }
            return Int(text[range.upperBound...].prefix { $0.isNumber })
        }
        let grace = Self.grace
        #expect(grace == 25)
        let unit = try Self.read("deploy/systemd/discord-worker.service")
        let supervisor = try Self.read("deploy/supervisor/discord-worker.conf")
        let compose = try Self.read("deploy/docker/compose.example.yaml")
        let docker = try Self.read("deploy/docker/Dockerfile")
        let readme = try Self.read("README.md")
        for (name, value) in [
            ("systemd TimeoutStopSec", number(after: "\nTimeoutStopSec=", in: unit)),
            ("supervisor stopwaitsecs", number(after: "\nstopwaitsecs=", in: supervisor)),
            ("compose stop_grace_period", number(after: "stop_grace_period: ", in: compose)),
            ("Dockerfile docker stop -t", number(after: "docker stop -t ", in: docker)),
            ("Dockerfile --stop-timeout", number(after: "--stop-timeout ", in: docker)),
            ("README docker stop -t", number(after: "docker stop -t ", in: readme)),
        ] {
            let seconds = try #require(value, "\(name) is not set")
            #expect(seconds > grace, "\(name) = \(seconds) s must exceed the \(grace) s grace")
        }
        #expect(unit.contains("\nKillSignal=SIGTERM") && supervisor.contains("\nstopsignal=TERM"))
    }

    @Test func unitsRunTheInstalledBinaryWithTheInstalledSettings() throws {
        let unit = try Self.read("deploy/systemd/discord-worker.service")
        #expect(unit.contains("\nExecStart=/usr/bin/discord-worker run --env-file /etc/discord-worker/env\n"))
        #expect(unit.contains("\nUser=discord-worker\n"))
        let package = try Self.read("deploy/package.sh")
        #expect(package.contains("\"$root/usr/bin/discord-worker\""))
        #expect(package.contains("\"$root/etc/discord-worker/env\""))
        #expect(package.contains("echo /etc/discord-worker/env > \"$root/DEBIAN/conffiles\""))
        let postinst = try Self.read("deploy/debian/postinst")
        #expect(postinst.contains("adduser --system"))
        #expect(postinst.contains("chown root:discord-worker /etc/discord-worker/env") && postinst.contains("chmod 640 /etc/discord-worker/env"))
    }
}
