public import Foundation
public import RedisClient
import Synchronization

/// A private `redis-server` on a free loopback port, for tests and benchmarks. No persistence.
/// `restart()` keeps the port (for reconnect tests); `kill()` sends SIGKILL.
public final class RedisServerProcess: Sendable {
    public let port: Int
    public let directory: URL
    public let password: String?
    private let process: Mutex<ChildProcess?>
    private let closers = Mutex<[@Sendable () async -> Void]>([])

    /// The URL of database `db` on this server (with the password, if any).
    public func url(db: Int = 0) -> RedisURL {
        RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port), database: db, password: password)
    }

    public var url: RedisURL { url(db: 0) }

    /// The unix socket this server also listens on.
    public var socketPath: String { directory.appendingPathComponent("redis.sock").path }

    private init(port: Int, directory: URL, password: String?) {
        self.port = port
        self.directory = directory
        self.password = password
        self.process = Mutex(nil)
    }

    public static func start(password: String? = nil) async throws -> RedisServerProcess {
        // A port found free can be taken by another test before redis-server binds it: try a few.
        var lastError: any Error = TestSupportError("redis-server did not start")
        for _ in 0..<4 {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let server = RedisServerProcess(port: try Loopback.freePort(), directory: directory, password: password)
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
                await server.stop()
            }
        }
        throw lastError
    }

    private func launch() async throws {
        guard let binary = findExecutable("redis-server", override: "REDIS_SERVER") else {
            throw TestSupportError("redis-server not found (apt-get install redis-server)")
        }
        var args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", directory.path, "--unixsocket", socketPath, "--unixsocketperm", "700",
                    "--daemonize", "no", "--loglevel", "warning"]
        if let password { args += ["--requirepass", password] }
        let p = try ChildProcess(binary, args, stderr: directory.appendingPathComponent("redis.log").path)
        process.withLock { $0 = p }
        let probe = RedisClient(url: url, name: "probe", connectTimeout: .milliseconds(200), socketTimeout: .seconds(1))
        do {
            try await waitUntil(timeout: .seconds(5), "redis-server on port \(port)") {
                (try? await probe.command(["PING"]))?.string == "PONG"
            }
        } catch {
            await probe.close()
            throw error
        }
        await probe.close()
    }

    /// A client of database `db`, closed by ``stop()``.
    public func client(db: Int = 0, name: String = "test", connectTimeout: Duration = .seconds(5),
                       socketTimeout: Duration = .seconds(10)) -> RedisClient {
        let client = RedisClient(url: url(db: db), name: name, connectTimeout: connectTimeout, socketTimeout: socketTimeout)
        closeOnStop { await client.close() }
        return client
    }

    /// Runs `close` in ``stop()``, before the server stops (last registered first): for what a test
    /// opened on this server (a broker, a client of another URL).
    public func closeOnStop(_ close: @escaping @Sendable () async -> Void) {
        closers.withLock { $0.append(close) }
    }

    /// Closes what ``client(db:name:connectTimeout:socketTimeout:)`` and ``closeOnStop(_:)`` registered,
    /// then stops the server (SIGTERM) and waits for it to exit.
    public func stop() async {
        let closers = self.closers.withLock { closers in
            defer { closers.removeAll() }
            return closers
        }
        for close in closers.reversed() { await close() }
        await terminate()
    }

    private func terminate() async {
        let p = process.withLock { p -> ChildProcess? in let old = p; p = nil; return old }
        await p?.terminate()
    }

    /// SIGKILL, no goodbye.
    public func kill() async {
        let p = process.withLock { p -> ChildProcess? in let old = p; p = nil; return old }
        await p?.killNow()
    }

    /// Stops and starts again on the same port (the data is gone: no persistence).
    public func restart() async throws {
        await terminate()
        try await launch()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }
}
