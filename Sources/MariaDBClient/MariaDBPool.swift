public import Logging

/// A bounded pool of `MariaDBConnection`s that reconnects by itself.
///
/// At most `size` connections are open at once (a fleet of workers stays within the server's
/// `max_connections`); callers beyond that wait for a free connection. Connections open lazily.
///
/// Every unit of work is a transaction:
/// - `read`: `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` at REPEATABLE READ, so all
///   statements of the body see one snapshot, however the web process writes meanwhile.
/// - `write`: `START TRANSACTION` … `COMMIT`.
///
/// Retries (at most `maxAttempts` in all): after a lost connection (server restarted, idle
/// connection dropped by `wait_timeout`, `KILL`, failover) the pool reconnects and runs the body
/// again when that is safe:
/// - reads always (they change nothing);
/// - writes when the connection failed before `COMMIT` was sent: the server rolls an open
///   transaction back when its connection goes, so nothing of the first attempt stays;
/// - writes whose `COMMIT` itself was interrupted (outcome unknown) only when `idempotent`
///   (running them twice leaves the same rows).
/// A deadlock or lock wait timeout (the server rolled back) is retried the same way. When the
/// server cannot be reached at all, the error (kind `.connectionLost`, phase `.connect`) goes to
/// the caller at once: waiting is the task layer's job.
public actor MariaDBPool {
    public nonisolated let configuration: MariaDBConfiguration
    public nonisolated let size: Int
    public nonisolated let maxAttempts: Int
    private let logger: Logger
    private var idle: [MariaDBConnection] = []
    private var created = 0
    private var waiters: [CheckedContinuation<MariaDBConnection, Never>] = []
    private var all: [MariaDBConnection] = []
    private var isClosed = false

    public init(configuration: MariaDBConfiguration, size: Int = 4, maxAttempts: Int = 3, logger: Logger) {
        self.configuration = configuration
        self.size = max(size, 1)
        self.maxAttempts = max(maxAttempts, 1)
        self.logger = logger
    }

    /// A read-only transaction on one consistent snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (MariaDBSession) throws -> T) async throws -> T {
        try await transaction(begin: "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", retryAtCommit: true, body)
    }

    /// A read-write transaction; see the type's notes for when it is retried.
    public func write<T: Sendable>(idempotent: Bool, _ body: @escaping @Sendable (MariaDBSession) throws -> T)
        async throws -> T
    {
        try await transaction(begin: "START TRANSACTION", retryAtCommit: idempotent, body)
    }

    /// `begin`, the body, `COMMIT`; rolled back on any failure before the commit (a lost connection has
    /// rolled back already), retried by `attempt` as its notes say.
    private func transaction<T: Sendable>(
        begin: String, retryAtCommit: Bool, _ body: @escaping @Sendable (MariaDBSession) throws -> T
    ) async throws -> T {
        try await attempt(retryAtCommit: retryAtCommit) { session in
            try session.execute(text: begin)
            do {
                let value = try body(session)
                try session.execute(text: "COMMIT", phase: .commit)
                return value
            } catch let error as MariaDBError where error.phase != .commit {
                if error.kind != .connectionLost { try? session.execute(text: "ROLLBACK") }
                throw error
            } catch {
                try? session.execute(text: "ROLLBACK")
                throw error
            }
        }
    }

    /// `body` outside a transaction (server information, pings), retried after a lost connection.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (MariaDBSession) throws -> T) async throws -> T {
        try await attempt(retryAtCommit: true, body)
    }

    /// One round trip on a pooled connection.
    public func ping() async throws {
        try await withSession { session in try session.ping() }
    }

    /// Debug builds stop here when a pool that handed out a connection is dropped without ``close()``
    /// (as async-http-client does). A pool never used opened nothing and may be dropped as is.
    deinit {
        let leaked = isClosed ? false : created > 0
        assert(!leaked, "MariaDBPool dropped without close()")
    }

    /// Closes every idle connection; connections in use close when returned.
    public func close() async {
        isClosed = true
        for connection in all { await connection.drop() }
    }

    // MARK: - Internals

    private func attempt<T: Sendable>(
        retryAtCommit: Bool, _ body: @escaping @Sendable (MariaDBSession) throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            let connection = await acquire()
            do {
                let value = try await connection.withSession(body)
                release(connection)
                return value
            } catch let error as MariaDBError {
                release(connection)
                let retry: Bool
                switch error.kind {
                case .permanent:
                    retry = false
                case .transient:
                    retry = error.number != 1040
                case .connectionLost:
                    if error.phase == .connect {
                        retry = false  // unreachable: the caller decides how long to wait
                    } else {
                        retry = error.phase != .commit || retryAtCommit
                        // A restart or failover killed the other idle connections too: reconnect them lazily.
                        await dropIdle()
                    }
                }
                guard retry, attempt < maxAttempts else { throw error }
                logger.info(
                    "retrying after a database error",
                    metadata: ["error": "\(error)", "attempt": "\(attempt + 1)"])
                attempt += 1
            } catch {
                release(connection)
                throw error
            }
        }
    }

    private func dropIdle() async {
        for connection in idle { await connection.drop() }
    }

    private func acquire() async -> MariaDBConnection {
        if let connection = idle.popLast() { return connection }
        if created < size {
            created += 1
            let connection = MariaDBConnection(configuration: configuration, label: "mariadb-\(created)")
            all.append(connection)
            return connection
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    private func release(_ connection: MariaDBConnection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }
}
