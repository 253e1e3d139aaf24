public import Foundation
public import MariaDBClient
import Synchronization

/// A private `mariadbd` for tests and benchmarks: `mariadb-install-db` into a temporary data
/// directory, the server on a free loopback port and its own unix socket, no binary log. Nothing
/// system-wide is started or changed.
///
/// The server runs under a small shell watchdog: when the test process exits without stopping it
/// (a crash, an interrupted run), the watchdog stops the server and deletes the directory.
///
/// `restart()` keeps port, socket and data (for reconnect tests); `kill()` sends SIGKILL.
public final class MariaDBServerProcess: Sendable {
    public let port: Int
    public let directory: URL
    /// Whether the server offers TLS (a test CA in `directory`: `ca.pem`, server cert for 127.0.0.1/localhost).
    public let tls: Bool
    private let watchdog: Mutex<ChildProcess?>

    /// The account tests connect with; its password needs percent-escaping in a URL.
    public static let user = "aa_worker"
    public static let password = "p@ss:w/rd%"
    /// `password` percent-escaped for a `DATABASE_URL`.
    public static let escapedPassword = "p%40ss%3Aw%2Frd%25"

    public var socketPath: String { directory.appendingPathComponent("mysqld.sock").path }
    var dataPath: String { directory.appendingPathComponent("data").path }
    var pidPath: String { directory.appendingPathComponent("mysqld.pid").path }
    public var errorLogPath: String { directory.appendingPathComponent("error.log").path }

    /// The test CA that signed the server's certificate (TLS servers only).
    public var caPath: String { directory.appendingPathComponent("ca.pem").path }

    private init(port: Int, directory: URL, tls: Bool) {
        self.port = port
        self.directory = directory
        self.tls = tls
        watchdog = Mutex(nil)
    }

    /// Initialises a data directory and starts the server (a few seconds: mostly `mariadb-install-db`).
    public static func start(tls: Bool = false) async throws -> MariaDBServerProcess {
        var lastError: any Error = TestSupportError("mariadbd did not start")
        for _ in 0..<3 {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("mariadb-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let server = MariaDBServerProcess(port: try Loopback.freePort(), directory: directory, tls: tls)
            do {
                if tls { try await server.makeCertificates() }
                try await server.installDataDirectory()
                try await server.launch()
                return server
            } catch {
                lastError = error
                await server.stop()
                try? FileManager.default.removeItem(at: directory)
            }
        }
        throw lastError
    }

    private func installDataDirectory() async throws {
        guard let installer = findExecutable("mariadb-install-db", override: "MARIADB_INSTALL_DB") else {
            throw TestSupportError("mariadb-install-db not found (apt-get install mariadb-server)")
        }
        var arguments = [
            "--no-defaults", "--datadir=\(dataPath)", "--auth-root-authentication-method=normal",
            "--skip-test-db", "--skip-name-resolve",
        ]
        if getuid() == 0 { arguments.append("--user=root") }
        let install = try ChildProcess(
            installer, arguments, stdout: directory.appendingPathComponent("install.log").path,
            stderr: directory.appendingPathComponent("install.err").path)
        guard await install.wait(timeout: .seconds(120)) == 0 else {
            throw TestSupportError("mariadb-install-db failed: \(install.errorOutput().suffix(2000))")
        }
    }

    private func launch() async throws {
        guard let server = findExecutable("mariadbd", override: "MARIADBD") else {
            throw TestSupportError("mariadbd not found (apt-get install mariadb-server)")
        }
        var arguments = [
            "--no-defaults", "--datadir=\(dataPath)", "--socket=\(socketPath)", "--port=\(port)",
            "--bind-address=127.0.0.1", "--pid-file=\(pidPath)", "--log-error=\(errorLogPath)",
            "--skip-name-resolve", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2",
            "--max-connections=200", "--skip-log-bin", "--performance-schema=OFF",
        ]
        if getuid() == 0 { arguments.append("--user=root") }
        if tls {
            arguments += [
                "--ssl-ca=\(caPath)", "--ssl-cert=\(directory.appendingPathComponent("server-cert.pem").path)",
                "--ssl-key=\(directory.appendingPathComponent("server-key.pem").path)",
            ]
        }
        // The watchdog: runs the server; stops it (and deletes the directory) if this process goes away.
        let script = """
            parent=$1; dir=$2; shift 2
            "$@" &
            child=$!
            trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
            while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
            if ! kill -0 "$parent" 2>/dev/null; then kill -TERM $child 2>/dev/null; wait $child; rm -rf "$dir"; fi
            """
        try? FileManager.default.removeItem(atPath: pidPath)
        let process = try ChildProcess(
            "/bin/sh", ["-c", script, "sh", String(getpid()), directory.path, server] + arguments,
            stdout: directory.appendingPathComponent("mysqld.out").path,
            stderr: directory.appendingPathComponent("mysqld.err").path)
        watchdog.withLock { $0 = process }
        let root = rootConfiguration(database: nil)
        try await waitUntil(timeout: .seconds(60), interval: .milliseconds(50), "mariadbd on port \(port)") {
            guard process.isRunning else {
                throw TestSupportError("mariadbd exited: \(self.errorLog().suffix(2000))")
            }
            return (try? MariaDBSession(root)) != nil
        }
    }

    /// A throw-away CA and a server certificate for 127.0.0.1 and localhost, with the openssl CLI.
    private func makeCertificates() async throws {
        guard let openssl = findExecutable("openssl") else { throw TestSupportError("openssl not found (apt-get install openssl)") }
        let dir = directory.path
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: dir + "/san.ext", atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/ca-key.pem", "-out", dir + "/ca.pem",
             "-days", "2", "-subj", "/CN=discord-worker test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server-key.pem", "-out", dir + "/server.csr",
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.pem", "-CAkey", dir + "/ca-key.pem",
             "-CAcreateserial", "-out", dir + "/server-cert.pem", "-days", "2", "-extfile", dir + "/san.ext"],
        ]
        for step in steps {
            let process = try ChildProcess(openssl, step, stderr: dir + "/openssl.err")
            guard await process.wait(timeout: .seconds(60)) == 0 else {
                throw TestSupportError("openssl \(step[0]) failed: \(process.errorOutput())")
            }
        }
    }

    /// The server's error log so far.
    public func errorLog() -> String {
        (try? String(contentsOfFile: errorLogPath, encoding: .utf8)) ?? ""
    }

    /// root over the unix socket (no password).
    public func rootConfiguration(database: String?) -> MariaDBConfiguration {
        MariaDBConfiguration(
            host: "localhost", user: "root", password: nil, database: database ?? "", socket: socketPath,
            connectTimeoutSeconds: 2)
    }

    /// Runs `body` with a root session (blocking; test set-up only).
    public func asRoot<T>(database: String? = nil, _ body: (MariaDBSession) throws -> T) throws -> T {
        let session = try MariaDBSession(rootConfiguration(database: database))
        defer { session.close() }
        return try body(session)
    }

    /// The pid of mariadbd itself (from its pid file).
    public func serverPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidPath, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Stops the server (SIGTERM, a clean shutdown) and waits for it.
    public func stop() async {
        let process = watchdog.withLock { p -> ChildProcess? in let old = p; p = nil; return old }
        await process?.terminate(grace: .seconds(30))
    }

    /// SIGKILL to mariadbd: a crash, no goodbye to clients.
    public func kill() async {
        if let pid = serverPID() { _ = Foundation.kill(pid, SIGKILL) }
        let process = watchdog.withLock { p -> ChildProcess? in let old = p; p = nil; return old }
        _ = await process?.wait(timeout: .seconds(10))
    }

    /// Stops and starts again with the same port, socket and data.
    public func restart() async throws {
        await stop()
        try await launch()
    }

    /// Starts again after `stop()`/`kill()`.
    public func startAgain() async throws {
        try await launch()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A private server for the duration of `body`; stopped and deleted afterwards.
public func withMariaDB<T>(_ body: (MariaDBServerProcess) async throws -> T) async throws -> T {
    let server = try await MariaDBServerProcess.start()
    return try await withCleanup({ await server.stop() }) { try await body(server) }
}
