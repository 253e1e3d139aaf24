import CHiredis
import Foundation

/// The one owner of a hiredis `redisContext`. Not Sendable: it lives inside ``RedisClient``'s
/// isolation. Every hiredis call goes through this type; replies are deep-copied into
/// ``RedisValue`` and freed before returning.
final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    let url: RedisURL

    init(url: RedisURL) {
        self.url = url
    }

    deinit {
        if let context { redisFree(context) }
    }

    var isConnected: Bool { context != nil }

    /// Connects, sets the socket timeout and keep-alive, authenticates and selects the database.
    func connect(connectTimeout: Duration, socketTimeout: Duration) throws(RedisError) {
        disconnect()
        let ctx: UnsafeMutablePointer<redisContext>?
        switch url.endpoint {
        case .tcp(let host, let port):
            ctx = redisConnectWithTimeout(host, Int32(port), Self.timeval(connectTimeout))
        case .unix(let path):
            ctx = redisConnectUnixWithTimeout(path, Self.timeval(connectTimeout))
        }
        guard let ctx else { throw RedisError(.connection, "cannot allocate a hiredis context") }
        if ctx.pointee.err != 0 {
            let message = Self.errorString(ctx)
            redisFree(ctx)
            throw RedisError(.connection, "connect failed: \(message)")
        }
        _ = redisSetTimeout(ctx, Self.timeval(socketTimeout))
        if case .tcp = url.endpoint { _ = redisEnableKeepAlive(ctx) }
        context = ctx

        if let password = url.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let user = url.username { auth.append(RedisArgument(user)) }
            auth.append(RedisArgument(password))
            let reply = try execute(auth)
            if case .error(let message) = reply {
                disconnect()
                throw RedisError(.connection, "authentication failed: \(message)")
            }
        }
        if url.database != 0 {
            let reply = try execute(["SELECT", RedisArgument(url.database)])
            if case .error(let message) = reply {
                disconnect()
                throw RedisError(.connection, "SELECT \(url.database) failed: \(message)")
            }
        }
    }

    func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command and reads its reply. A broken connection is closed and reported as `.connection`.
    func execute(_ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        guard let ctx = context else { throw RedisError(.connection, "not connected") }
        let raw = Self.withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(ctx, argc, argv, lengths)
        }
        guard let raw else { throw brokenConnection(ctx) }
        defer { freeReplyObject(raw) }
        return Self.copy(raw.assumingMemoryBound(to: redisReply.self))
    }

    /// Sends all commands in one write and reads all replies (error replies stay values).
    func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisValue] {
        guard let ctx = context else { throw RedisError(.connection, "not connected") }
        for arguments in commands {
            let status = Self.withArgv(arguments) { argc, argv, lengths in
                redisAppendCommandArgv(ctx, argc, argv, lengths)
            }
            if status != REDIS_OK { throw brokenConnection(ctx) }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(ctx, &raw) != REDIS_OK || raw == nil { throw brokenConnection(ctx) }
            replies.append(Self.copy(raw!.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
        return replies
    }

    /// Reads one reply the server pushed without a request (pub/sub messages after `SUBSCRIBE`), waiting at
    /// most `timeout`; `nil` when none arrived in time. Buffered replies come first; the socket is polled,
    /// so a quiet channel never trips the socket timeout (which would break the connection).
    func readPushed(timeout: Duration) throws(RedisError) -> RedisValue? {
        guard let ctx = context else { throw RedisError(.connection, "not connected") }
        let deadline = ContinuousClock.now + timeout
        while true {
            var raw: UnsafeMutableRawPointer?
            if redisGetReplyFromReader(ctx, &raw) != REDIS_OK { throw brokenConnection(ctx) }
            if let raw {
                defer { freeReplyObject(raw) }
                return Self.copy(raw.assumingMemoryBound(to: redisReply.self))
            }
            let left = deadline - ContinuousClock.now
            if left <= .zero { return nil }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: ctx.pointee.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw brokenConnection(ctx)
            }
            if ready == 0 { return nil }
            if redisBufferRead(ctx) != REDIS_OK { throw brokenConnection(ctx) }
        }
    }

    private func brokenConnection(_ ctx: UnsafeMutablePointer<redisContext>) -> RedisError {
        let message = ctx.pointee.err != 0 ? Self.errorString(ctx) : "no reply"
        disconnect()
        return RedisError(.connection, "connection lost: \(message)")
    }

    // MARK: - C helpers

    /// Builds `argv`/`argvlen` over one flat byte buffer so every pointer lives inside one scope.
    private static func withArgv<R>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var flat: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(flat.count)
            lengths.append(argument.bytes.count)
            flat.append(contentsOf: argument.bytes)
        }
        flat.append(0)  // never an empty buffer: a zero-length argument still gets a valid pointer
        return flat.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            return argv.withUnsafeMutableBufferPointer { argvBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
                }
            }
        }
    }

    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var values: [RedisValue] = []
            values.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let element = r.element[i] { values.append(copy(element)) } else { values.append(.null) }
            }
            return .array(values)
        default:
            // hiredis 1.x adds RESP3 types; RESP2 servers never send them to this client.
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    private static func errorString(_ ctx: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: ctx.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private static func timeval(_ duration: Duration) -> Foundation.timeval {
        let (seconds, attoseconds) = duration.components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
