/// What a discord-worker build is: its release, the git commit it was built from, the Swift compiler
/// and the C libraries the process runs with. `discord-worker --version`, `status --json`, the
/// "worker started" log line, the worker's registration in Redis and remote-control `stats` show it.
///
/// A plain value: the executable fills it in (each library's version comes from the one module that
/// owns that library), everything else only reads it.
public struct VersionInfo: Sendable, Equatable {
    /// One linked C library, e.g. `hiredis` `0.14.1`.
    public struct Library: Sendable, Equatable {
        public var name: String
        public var version: String

        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// The release, e.g. "0.1.0".
    public var version: String
    /// The git commit (hex) the binary was built from, or "unknown" (development builds).
    public var commit: String
    /// The Swift compiler the binary was built with, e.g. "6.3.1".
    public var swift: String
    /// In a fixed order: hiredis, libcurl, sqlite, then any added later (MariaDB Connector/C).
    public var libraries: [Library]

    public init(version: String, commit: String, swift: String, libraries: [Library]) {
        self.version = version
        self.commit = commit
        self.swift = swift
        self.libraries = libraries
    }

    /// The commit as people quote it: its first 12 hex digits.
    public var shortCommit: String {
        commit == "unknown" ? commit : String(commit.prefix(12))
    }

    /// One line, e.g. "0.1.0 (commit 54f3fd1a2b3c, Swift 6.3.1, hiredis 0.14.1, libcurl 7.88.1, sqlite 3.40.1)".
    public var summary: String {
        let parts = ["commit \(shortCommit)", "Swift \(swift)"] + libraries.map { "\($0.name) \($0.version)" }
        return "\(version) (\(parts.joined(separator: ", ")))"
    }

    /// What `--version` prints: the release on the first line, then one "name: value" line each.
    public var text: String {
        var lines = ["discord-worker \(version)", "commit: \(commit)", "swift: \(swift)"]
        lines += libraries.map { "\($0.name): \($0.version)" }
        return lines.joined(separator: "\n")
    }

    /// A JSON-ready object: `{"version", "commit", "swift", "libraries": {name: version}}`.
    public var jsonObject: [String: Any] {
        [
            "version": version,
            "commit": commit,
            "swift": swift,
            "libraries": Dictionary(libraries.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first }),
        ]
    }
}
