@testable import DiscordWorkerCLI
import Foundation
import Testing
import WorkerRuntime

@Suite("Version information")
struct VersionInfoTests {
    @Test func thisBuildNamesItsReleaseCommitCompilerAndLibraries() throws {
        let info = BuildInfo.current
        #expect(info.version.split(separator: ".").count == 3 && info.version.split(separator: ".").allSatisfy { Int($0) != nil })
        #expect(info.commit == "unknown" || (info.commit.count >= 7 && info.commit.allSatisfy(\.isHexDigit)), "\(info.commit)")
        #expect(info.swift.hasPrefix("6."))
        #expect(info.libraries.map(\.name) == ["hiredis", "libcurl", "sqlite", "mariadb-connector-c"])
        for library in info.libraries {
            #expect(library.version.first?.isNumber == true, "\(library.name): \(library.version)")
        }
        #expect(info.libraries[0].version.hasPrefix("0.14."), "Debian 12's hiredis")
    }

    @Test func textSummaryAndJSON() throws {
        let info = VersionInfo(
            version: "0.1.0", commit: "0123456789abcdef0123456789abcdef01234567", swift: "6.3.1",
            libraries: [.init(name: "hiredis", version: "0.14.1"), .init(name: "sqlite", version: "3.40.1")])
        #expect(info.text == """
            discord-worker 0.1.0
            commit: 0123456789abcdef0123456789abcdef01234567
            swift: 6.3.1
            hiredis: 0.14.1
            sqlite: 3.40.1
            """)
        #expect(info.summary == "0.1.0 (commit 0123456789ab, Swift 6.3.1, hiredis 0.14.1, sqlite 3.40.1)")
        let data = try JSONSerialization.data(withJSONObject: info.jsonObject, options: [.sortedKeys])
        #expect(String(decoding: data, as: UTF8.self) == #"{"commit":"0123456789abcdef0123456789abcdef01234567","libraries":{"hiredis":"0.14.1","sqlite":"3.40.1"},"swift":"6.3.1","version":"0.1.0"}"#)
        #expect(VersionInfo(version: "0.1.0", commit: "unknown", swift: "6.3", libraries: []).summary == "0.1.0 (commit unknown, Swift 6.3)")
    }
}
