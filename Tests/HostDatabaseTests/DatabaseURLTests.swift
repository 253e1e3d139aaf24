import Foundation
import HostDatabase
import HostDatabaseSQLite
import Testing

@Suite struct DatabaseURLTests {
    @Test func relativeSQLitePathIsResolvedAgainstTheWorkingDirectory() throws {
        let url = try DatabaseURL(parsing: "sqlite:///aa.db", currentDirectory: "/srv/allianceauth")
        #expect(url.backend == .sqlite(path: "/srv/allianceauth/aa.db"))
        #expect(url.description == "sqlite:////srv/allianceauth/aa.db")
        let nested = try DatabaseURL(parsing: "sqlite:///data/../db/aa.sqlite3", currentDirectory: "/srv")
        #expect(nested.backend == .sqlite(path: "/srv/db/aa.sqlite3"))
    }

    @Test func relativeSQLitePathDefaultsToTheProcessDirectory() throws {
        let url = try DatabaseURL(parsing: "sqlite:///aa.db")
        let expected = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent("aa.db").standardizedFileURL.path
        #expect(url.backend == .sqlite(path: expected))
    }

    @Test func absoluteSQLitePath() throws {
        let url = try DatabaseURL(parsing: "sqlite:////var/lib/aa/db.sqlite3", currentDirectory: "/elsewhere")
        #expect(url.backend == .sqlite(path: "/var/lib/aa/db.sqlite3"))
        let encoded = try DatabaseURL(parsing: "sqlite:////var/lib/my%20aa/db.sqlite3")
        #expect(encoded.backend == .sqlite(path: "/var/lib/my aa/db.sqlite3"))
    }

    @Test func mysqlURLIsParsedAndItsPasswordRedacted() throws {
        let url = try DatabaseURL(parsing: "mysql://allianceserver:s3cr%40t@db.example:3307/alliance_auth?charset=utf8mb4")
        guard case .mysql(let endpoint) = url.backend else {
            Issue.record("expected mysql, got \(url.backend)")
            return
        }
        #expect(endpoint.user == "allianceserver")
        #expect(endpoint.password?.value == "s3cr@t")
        #expect(endpoint.host == "db.example")
        #expect(endpoint.port == 3307)
        #expect(endpoint.database == "alliance_auth")
        #expect(endpoint.options == ["charset": "utf8mb4"])
        #expect(url.description == "mysql://allianceserver:<redacted>@db.example:3307/alliance_auth")
        for rendering in ["\(url)", String(reflecting: url), "\(endpoint)", String(reflecting: endpoint),
                          "\(url.backend)", dumped(url)] {
            #expect(!rendering.contains("s3cr"), "password leaked in \(rendering)")
        }
    }

    @Test func mysqlDefaultsToPort3306AndAcceptsMariadbScheme() throws {
        let url = try DatabaseURL(parsing: "mariadb://aa@127.0.0.1/aa")
        guard case .mysql(let endpoint) = url.backend else {
            Issue.record("expected mysql")
            return
        }
        #expect(endpoint.port == 3306)
        #expect(endpoint.password == nil)
        #expect(url.description == "mysql://aa@127.0.0.1:3306/aa")
    }

    @Test(arguments: [
        ("postgres://u:hunter2@h/db", "unsupported scheme"),
        ("not a url", "expected sqlite"),
        ("sqlite://host/aa.db", "no host"),
        ("sqlite:///", "missing"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite:///aa.db?mode=ro", "no query"),
        ("mysql://u:hunter2@/db", "missing host"),
        ("mysql://:hunter2@h/db", "missing user"),
        ("mysql://u:hunter2@h", "database name"),
        ("mysql://u:hunter2@h/a/b", "database name"),
        ("mysql://u:hunter2@h:abc/db", "not a valid URL"),
        ("mysql://u:hunter2@h:99999/db", "out of range"),
    ])
    func badURLsNameTheVariableButNotThePassword(text: String, reason: String) {
        do {
            let url = try DatabaseURL(parsing: text, currentDirectory: "/tmp")
            Issue.record("parsed \(url)")
        } catch let error as HostDatabaseError {
            #expect(error.code == .invalidURL)
            #expect(error.description.contains("DATABASE_URL"))
            #expect(error.description.contains(reason), "\(error)")
            #expect(!error.description.contains("hunter2"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func ipv6HostsKeepTheirBrackets() throws {
        let url = try DatabaseURL(parsing: "mysql://aa@[::1]:3307/aa")
        guard case .mysql(let endpoint) = url.backend else {
            Issue.record("expected mysql")
            return
        }
        #expect(endpoint.host == "::1")
        #expect(url.description == "mysql://aa@[::1]:3307/aa")
    }

    @Test func mysqlPasswordNeedingEscapesIsDecoded() throws {
        let url = try DatabaseURL(parsing: "mysql://aa%2Bworker:p%40ss%3Aw%2Frd%25@db:3306/alliance_auth")
        guard case .mysql(let endpoint) = url.backend else { Issue.record("expected mysql"); return }
        #expect(endpoint.user == "aa+worker")
        #expect(endpoint.password?.value == "p@ss:w/rd%")
        #expect(url.description == "mysql://aa+worker:<redacted>@db:3306/alliance_auth")
    }

    @Test func mysqlSocketAndTLSOptions() throws {
        let socket = try DatabaseURL(parsing: "mysql://aa:pw@localhost/alliance_auth?socket=/run/mysqld/mysqld.sock")
        guard case .mysql(let local) = socket.backend else { Issue.record("expected mysql"); return }
        #expect(local.socket == "/run/mysqld/mysqld.sock")
        #expect(local.port == 3306)
        #expect(local.tlsMode == nil)
        #expect(socket.description == "mysql://aa:<redacted>@localhost:3306/alliance_auth?socket=/run/mysqld/mysqld.sock")

        let tls = try DatabaseURL(parsing:
            "mariadb://aa:pw@db.example/aa?ssl-mode=verify_identity&ssl-ca=/etc/ca.pem&ssl-cert=/etc/c.pem&ssl-key=/etc/k.pem&charset=utf8mb4")
        guard case .mysql(let remote) = tls.backend else { Issue.record("expected mysql"); return }
        #expect(remote.tlsMode == .verifyIdentity)
        #expect(remote.sslCA == "/etc/ca.pem")
        #expect(remote.sslCert == "/etc/c.pem")
        #expect(remote.sslKey == "/etc/k.pem")

        for (text, mode) in [("ssl-mode=REQUIRED", MySQLTLSMode.required), ("ssl-mode=DISABLED", .disabled),
                             ("ssl-ca=/ca.pem", .verifyCA), ("ssl-mode=VERIFY_CA&ssl-ca=/ca.pem", .verifyCA)] {
            guard case .mysql(let endpoint) = try DatabaseURL(parsing: "mysql://aa:pw@h/aa?" + text).backend else {
                Issue.record("expected mysql"); return
            }
            #expect(endpoint.tlsMode == mode, "\(text)")
        }
    }

    @Test(arguments: [
        ("mysql://u:hunter2@h/db?ssl-mode=MAYBE", "ssl-mode 'MAYBE'"),
        ("mysql://u:hunter2@h/db?ssl-mode=VERIFY_CA", "needs ssl-ca"),
        ("mysql://u:hunter2@h/db?ssl-cert=/c.pem", "go together"),
        ("mysql://u:hunter2@h/db?socket=relative.sock", "absolute path"),
        ("mysql://u:hunter2@h/db?charset=latin1", "only utf8mb4"),
        ("mysql://u:hunter2@h/db?sslmode=REQUIRED&ssl-mode=REQUIRED&x=1", "unknown option 'x'"),
        ("mysql://u:hunter2@h/db?socket=/a&socket=/b", "given twice"),
    ])
    func badMySQLOptionsAreOneLineErrorsWithoutThePassword(_ text: String, _ expected: String) {
        let error = #expect(throws: HostDatabaseError.self) { try DatabaseURL(parsing: text) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.description.contains("DATABASE_URL") == true)
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("\n") == false)
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
