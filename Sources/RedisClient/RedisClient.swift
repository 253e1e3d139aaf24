import SerialExecutors

/// One Redis connection with its own serial executor (a dedicated dispatch queue), so blocking
/// replies never hold a thread of Swift's cooperative pool. Connects lazily; after a connection
/// failure the next call reconnects. Commands are never retried automatically (a write might have
/// been applied): callers decide, typically with ``RedisBackoff``.
///
/// Use one client per blocking consumer (`BRPOP`, `BLMOVE`) and share one for short commands.
public final actor RedisClient {
    public nonisolated let url: RedisURL
    public nonisolated let name: String
    private let executor: SerialQueueExecutor
    private let connectTimeout: Duration
    private let socketTimeout: Duration
    private var connection: RedisConnection?
    private var scriptSHAs: [String: String] = [:]
    private var isClosed = false
    /// How many times this client has (re)connected; 1 after the first successful connect.
    public private(set) var connects = 0

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// - Parameters:
    ///   - socketTimeout: bounds every reply; must exceed the timeout of any blocking command sent on this client.
    public init(url: RedisURL, name: String = "redis", connectTimeout: Duration = .seconds(5), socketTimeout: Duration = .seconds(10)) {
        self.url = url
        self.name = name
        self.connectTimeout = connectTimeout
        self.socketTimeout = socketTimeout
        self.executor = SerialQueueExecutor(label: "redis.\(name)")
    }

    /// Debug builds stop here when a client that opened a connection is dropped without ``close()``
    /// (as async-http-client does): every owner closes what it opened. A client that never connected
    /// holds no socket, so dropping it unclosed is allowed (owners create clients they may never use).
    deinit {
        let leaked = isClosed ? false : connects > 0
        assert(!leaked, "RedisClient '\(name)' was connected and dropped without close()")
    }

    private func connected() throws(RedisError) -> RedisConnection {
        if isClosed { throw RedisError(.closed, "client was closed", connection: label) }
        if let connection, connection.isConnected { return connection }
        let conn = connection ?? RedisConnection(url: url)
        do {
            try conn.connect(connectTimeout: connectTimeout, socketTimeout: socketTimeout)
        } catch {
            throw RedisError(error.code, error.message, connection: label)
        }
        connection = conn
        connects += 1
        return conn
    }

    private nonisolated var label: String { "\(name) \(url)" }

    /// Connects now (otherwise the first command does). Throws when the server cannot be reached.
    public func connect() throws(RedisError) {
        _ = try connected()
    }

    /// Sends one command. Throws ``RedisError`` for connection failures and for an error reply.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        let value = try send(arguments)
        if case .error(let message) = value { throw RedisError(.server, message, connection: label) }
        return value
    }

    /// Sends one command and returns the reply as is, error replies included.
    public func send(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        let conn = try connected()
        do {
            return try conn.execute(arguments)
        } catch {
            throw RedisError(error.code, error.message, connection: label)
        }
    }

    /// Sends the commands in one write and returns every reply in order; error replies stay values.
    public func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        let conn = try connected()
        do {
            return try conn.pipeline(commands)
        } catch {
            throw RedisError(error.code, error.message, connection: label)
        }
    }

    /// Runs a Lua script with `EVALSHA`, loading it first on this connection (and again after `NOSCRIPT`).
    /// An error raised by the script is thrown as a `.server` error.
    @discardableResult
    public func eval(_ script: RedisScript, keys: [RedisArgument] = [], args: [RedisArgument] = []) throws(RedisError) -> RedisValue {
        for attempt in 0..<2 {
            let sha = try loadedSHA(of: script, reload: attempt > 0)
            let reply = try send(["EVALSHA", RedisArgument(sha), RedisArgument(keys.count)] + keys + args)
            if case .error(let message) = reply {
                if message.hasPrefix("NOSCRIPT") { continue }
                throw RedisError(.server, message, connection: label)
            }
            return reply
        }
        throw RedisError(.server, "script could not be loaded", connection: label)
    }

    private func loadedSHA(of script: RedisScript, reload: Bool) throws(RedisError) -> String {
        if !reload, let sha = scriptSHAs[script.source] { return sha }
        let reply = try command(["SCRIPT", "LOAD", RedisArgument(script.source)])
        guard let sha = reply.string else {
            throw RedisError(.protocolViolation, "SCRIPT LOAD returned no sha", connection: label)
        }
        scriptSHAs[script.source] = sha
        return sha
    }

    /// Enters pub/sub mode on this client's connection: `SUBSCRIBE` to `channels` (the first confirmation is
    /// returned; later ones arrive through ``nextPushed(timeout:)``). Use a client only for this afterwards;
    /// after a connection error, ``disconnect()`` and subscribe again (a reconnect does not resubscribe).
    @discardableResult
    public func subscribe(_ channels: [String]) throws(RedisError) -> RedisValue {
        try command(["SUBSCRIBE"] + channels.map { RedisArgument($0) })
    }

    /// The next reply the server pushes on a subscribed connection (`["message", channel, data]`, or a
    /// further subscribe confirmation), or `nil` when nothing arrived within `timeout` (which must stay
    /// below the socket timeout). Blocks this client's own queue, never the cooperative pool.
    public func nextPushed(timeout: Duration) throws(RedisError) -> RedisValue? {
        guard let connection, connection.isConnected else {
            throw RedisError(.connection, "not subscribed (no connection)", connection: label)
        }
        do {
            return try connection.readPushed(timeout: timeout)
        } catch {
            throw RedisError(error.code, error.message, connection: label)
        }
    }

    /// Drops the connection (the next command reconnects). Used after a timeout on a blocking command.
    public func disconnect() {
        connection?.disconnect()
    }

    /// Closes the connection for good; later calls throw `.closed`.
    public func close() {
        isClosed = true
        connection?.disconnect()
        connection = nil
    }
}

/// Exponential backoff with a cap, for reconnect loops: 50 ms, 100 ms, … up to `maximum`.
public struct RedisBackoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    private var current: Duration

    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        self.current = initial
    }

    /// The next delay to wait, doubling each time up to the maximum.
    public mutating func next() -> Duration {
        let delay = current
        current = min(current * 2, maximum)
        return delay
    }

    public mutating func reset() { current = initial }
}
