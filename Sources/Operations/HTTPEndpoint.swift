import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A very small HTTP/1.1 server for the operations endpoint: a scraper and a prober sending a few GETs
/// a minute. It owns one listening socket and one thread of its own (blocking `poll`/`accept`/`read`
/// never touch Swift's cooperative pool), serves one connection at a time with 5 s socket timeouts, and
/// answers `Connection: close`. Handlers are async and run as a Swift task; the server thread waits for
/// their answer.
///
/// Chosen over Hummingbird/SwiftNIO (event-loop threads and a large link for three GET routes) and
/// FlyingFox; the README gives the measured build-time and memory cost.
public final class HTTPEndpoint: Sendable {
    public struct Request: Sendable {
        public var method: String
        /// The path without the query string.
        public var path: String
    }

    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        public init(status: Int, text: String) {
            self.init(status: status, body: Array(text.utf8))
        }
    }

    public typealias Handler = @Sendable (Request) async -> Response

    /// Where the server listens (the real port when 0 was asked for).
    public let host: String
    public let port: Int
    private let listener: Int32
    /// Written to on shutdown: wakes the server thread's `poll`.
    private let wakeWrite: Int32
    private let wakeRead: Int32
    private let handler: Handler
    private let state = Mutex(State())

    private struct State {
        var started = false
        var finished = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    public struct BindError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds and listens at once (so a bad or busy address fails at start); serving begins with `start()`.
    /// - Parameter address: `host:port`, `[ipv6]:port` or `:port` (all interfaces).
    public init(address: String, handler: @escaping Handler) throws(BindError) {
        let (host, portText) = try Self.split(address)
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host.isEmpty ? nil : host, portText, &hints, &list)
        guard rc == 0, let first = list else {
            throw BindError(description: "cannot resolve '\(address)': \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var fd: Int32 = -1
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let s = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if s < 0 { lastError = errno; continue }
            var one: Int32 = 1
            _ = setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if bind(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(s, 16) == 0 {
                fd = s
                break
            }
            lastError = errno
            close(s)
        }
        guard fd >= 0 else {
            throw BindError(description: "cannot listen on '\(address)': \(String(cString: strerror(lastError)))")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw BindError(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        listener = fd
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        self.handler = handler
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = Self.boundPort(fd) ?? Int(portText) ?? 0
    }

    /// `host:port` → (host, port); brackets around IPv6 hosts are removed.
    static func split(_ address: String) throws(BindError) -> (host: String, port: String) {
        guard let colon = address.lastIndex(of: ":") else {
            throw BindError(description: "'\(address)' is not host:port")
        }
        var host = String(address[..<colon])
        let port = String(address[address.index(after: colon)...])
        guard let number = Int(port), (0...65_535).contains(number) else {
            throw BindError(description: "'\(address)' has no valid port (0-65535)")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    private static func boundPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    /// Starts the server thread (once).
    public func start() {
        let first = state.withLock { s -> Bool in
            defer { s.started = true }
            return !s.started
        }
        guard first else { return }
        let thread = Thread { [self] in
            self.serve()
            self.finish()
        }
        thread.name = "http-endpoint"
        thread.start()
    }

    /// Stops accepting, waits for the connection being served (bounded by its socket timeouts) and closes
    /// the socket.
    public func shutdown() async {
        // Under the lock: `finish()` closes the pipe under the same lock, so this never writes to a reused fd.
        let started = state.withLock { s -> Bool in
            if !s.finished {
                var byte: UInt8 = 1
                _ = write(wakeWrite, &byte, 1)
            }
            return s.started
        }
        if started {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { s -> Bool in
                    if s.finished { return true }
                    s.waiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } else {
            finish()
        }
    }

    private func finish() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.finished else { return [] }
            s.finished = true
            close(listener)
            close(wakeRead)
            close(wakeWrite)
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - The server thread

    private func serve() {
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let connection = accept(listener, nil, nil)
            if connection < 0 { continue }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
        var one: Int32 = 1
        _ = setsockopt(connection, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        guard let head = readHead(connection) else { return }
        let response: Response
        switch HTTPRequestHead.parse(head) {
        case .failure(let status):
            response = Response(status: status.code, text: "\(Self.reason(status.code))\n")
        case .success(let request):
            let semaphore = DispatchSemaphore(value: 0)
            let answer = Mutex<Response?>(nil)
            let handler = self.handler
            Task {
                let r = await handler(request)
                answer.withLock { $0 = r }
                semaphore.signal()
            }
            semaphore.wait()
            var r = answer.withLock { $0 } ?? Response(status: 500, text: "no answer\n")
            if request.method == "HEAD" { r.body = [] }
            response = r
        }
        writeAll(connection, Self.serialize(response))
    }

    /// Reads up to the end of the request head (8 KiB at most); nil on timeout, EOF or a too long head.
    private func readHead(_ connection: Int32) -> [UInt8]? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while data.count < 8192 {
            let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return data.isEmpty ? nil : data }
            data += buffer[0..<n]
            if HTTPRequestHead.headEnd(data) != nil { return data }
        }
        return data
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that already hung up gets EPIPE, not a SIGPIPE that would end the process.
            #if canImport(Glibc)
            let n = bytes.withUnsafeBytes { send(connection, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            #else
            let n = bytes.withUnsafeBytes { write(connection, $0.baseAddress! + offset, bytes.count - offset) }
            #endif
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    static func serialize(_ response: Response) -> [UInt8] {
        let head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
            + "Content-Type: \(response.contentType)\r\n"
            + "Content-Length: \(response.body.count)\r\n"
            + "Cache-Control: no-store\r\n"
            + "Connection: close\r\n\r\n"
        return Array(head.utf8) + response.body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// Parsing of the request line (the only part of a request the endpoint reads). Pure, unit-tested.
enum HTTPRequestHead {
    /// The index just past `\r\n\r\n` (or `\n\n`), if the head is complete.
    static func headEnd(_ data: [UInt8]) -> Int? {
        var i = 0
        while i < data.count {
            if data[i] == 10 {
                if i + 1 < data.count, data[i + 1] == 10 { return i + 2 }
                if i + 2 < data.count, data[i + 1] == 13, data[i + 2] == 10 { return i + 3 }
            }
            i += 1
        }
        return nil
    }

    /// `GET /path?query HTTP/1.1` → the request; a status code (400/405/431) when it cannot be served.
    static func parse(_ data: [UInt8]) -> Result<HTTPEndpoint.Request, StatusCode> {
        guard headEnd(data) != nil else { return .failure(StatusCode(431)) }
        let lineEnd = data.firstIndex(of: 10) ?? data.count
        guard let line = String(bytes: data[0..<lineEnd], encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            return .failure(StatusCode(400))
        }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else { return .failure(StatusCode(400)) }
        let method = String(parts[0])
        guard method == "GET" || method == "HEAD" else { return .failure(StatusCode(405)) }
        let target = parts[1]
        let path = String(target.prefix(while: { $0 != "?" && $0 != "#" }))
        return .success(HTTPEndpoint.Request(method: method, path: path))
    }

    /// An HTTP status code as an error value.
    struct StatusCode: Error, Equatable, ExpressibleByIntegerLiteral {
        var code: Int
        init(_ code: Int) { self.code = code }
        init(integerLiteral value: Int) { code = value }
    }
}
