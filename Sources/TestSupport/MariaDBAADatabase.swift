public import Foundation
public import MariaDBClient

/// An Alliance Auth database on a test `mariadbd`, created from AA 5.5.0's real MariaDB DDL
/// (`Fixtures/allianceauth/schema_mysql.sql`), with `MariaDBServerProcess.user` granted
/// SELECT/INSERT/UPDATE/DELETE on it (what the worker needs).
public struct MariaDBAADatabase: Sendable {
    public let server: MariaDBServerProcess
    public let name: String

    /// `Fixtures/allianceauth/schema_mysql.sql` of this repository.
    public static var schemaPath: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/allianceauth/schema_mysql.sql").path
    }

    /// The DDL's statements (the dump ends each with a line holding `;`).
    static func schemaStatements(path: String = schemaPath) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TestSupportError("cannot read \(path)")
        }
        return text.components(separatedBy: "\n;").map { chunk in
            chunk.split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: "\n")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
    }

    /// Creates database `name` (utf8mb4_unicode_ci, as AA's install guide), with AA's tables unless
    /// `withSchema` is false.
    public static func create(
        on server: MariaDBServerProcess, name: String = "aa_\(UUID().uuidString.prefix(8).lowercased())",
        withSchema: Bool = true
    ) throws -> MariaDBAADatabase {
        let statements = withSchema ? try schemaStatements() : []
        try server.asRoot { root in
            try root.execute(text: "CREATE DATABASE `\(name)` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
            try root.execute(text: "USE `\(name)`")
            try root.execute(text: "SET FOREIGN_KEY_CHECKS = 0")
            for statement in statements { try root.execute(text: statement) }
            try root.execute(text: "SET FOREIGN_KEY_CHECKS = 1")
            try root.execute(text: """
                CREATE USER IF NOT EXISTS '\(MariaDBServerProcess.user)'@'%' IDENTIFIED BY '\(MariaDBServerProcess.password)'
                """)
            try root.execute(text: "GRANT SELECT, INSERT, UPDATE, DELETE ON `\(name)`.* TO '\(MariaDBServerProcess.user)'@'%'")
        }
        return MariaDBAADatabase(server: server, name: name)
    }

    /// `mysql://aa_worker:p%40ss%3Aw%2Frd%25@127.0.0.1:PORT/NAME`, plus `query` (e.g. `socket=/path`).
    public func url(query: String? = nil) -> String {
        "mysql://\(MariaDBServerProcess.user):\(MariaDBServerProcess.escapedPassword)@127.0.0.1:\(server.port)/\(name)"
            + (query.map { "?" + $0 } ?? "")
    }

    /// The worker account's configuration (TCP).
    public var configuration: MariaDBConfiguration {
        MariaDBConfiguration(
            host: "127.0.0.1", port: server.port, user: MariaDBServerProcess.user,
            password: MariaDBServerProcess.password, database: name)
    }

    /// Runs `body` as root in this database (blocking; set-up and inspection in tests).
    public func asRoot<T>(_ body: (MariaDBSession) throws -> T) throws -> T {
        try server.asRoot(database: name, body)
    }

    /// Drops the database.
    public func drop() throws {
        try server.asRoot { try $0.execute(text: "DROP DATABASE IF EXISTS `\(name)`") }
    }
}

extension MariaDBServerProcess {
    private static let sharedServer = SharedServer()

    /// One server for the whole test process, started on first use. It is never stopped
    /// explicitly: its watchdog stops it and deletes its directory when the process exits.
    /// Tests that stop, kill or restart a server use `withMariaDB` instead.
    public static func shared() async throws -> MariaDBServerProcess {
        try await sharedServer.get()
    }
}

private actor SharedServer {
    private var server: Task<MariaDBServerProcess, any Error>?

    func get() async throws -> MariaDBServerProcess {
        if let server { return try await server.value }
        let task = Task { try await MariaDBServerProcess.start() }
        server = task
        do {
            return try await task.value
        } catch {
            server = nil
            throw error
        }
    }
}
