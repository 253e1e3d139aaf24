import Foundation

/// Where a Redis server is and how to log in: `redis://[[user]:password@]host[:port][/db]` or
/// `unix:///path/to/redis.sock?db=N` (credentials may precede the path: `unix://:pw@/path?db=1`, or
/// be given as `?password=…&username=…`). Percent-escapes are decoded. The password never appears
/// in `description`.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var endpoint: Endpoint
    public var database: Int
    public var username: String?
    public var password: String?

    public init(endpoint: Endpoint, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.endpoint = endpoint
        self.database = database
        self.username = username
        self.password = password
    }

    /// Parses a Redis URL. Errors name the problem but never echo the password.
    public init(_ string: String) throws(RedisError) {
        let text = string.trimmingCharacters(in: .whitespaces)
        func fail(_ why: String) -> RedisError {
            RedisError(.invalidURL, "\(why) (expected redis://[[user]:password@]host[:port][/db] or unix:///path/to/redis.sock?db=N)")
        }
        guard let schemeEnd = text.range(of: "://") else { throw fail("missing scheme") }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        var rest = String(text[schemeEnd.upperBound...])

        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                query[parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
            }
            rest = String(rest[..<q])
        }

        var user: String?
        var pass: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = String(rest[rest.index(after: at)...])
            if let colon = credentials.firstIndex(of: ":") {
                let u = String(credentials[..<colon])
                user = u.isEmpty ? nil : (u.removingPercentEncoding ?? u)
                let p = String(credentials[credentials.index(after: colon)...])
                pass = p.isEmpty ? nil : (p.removingPercentEncoding ?? p)
            } else if !credentials.isEmpty {
                // redis://password@host is accepted by redis-py as a password-only form.
                pass = credentials.removingPercentEncoding ?? String(credentials)
            }
        }
        if let u = query["username"], !u.isEmpty { user = u }
        if let p = query["password"], !p.isEmpty { pass = p }

        var db = 0
        if let dbText = query["db"] {
            guard let n = Int(dbText), n >= 0 else { throw fail("database number '\(dbText)' is not a non-negative integer") }
            db = n
        }

        switch scheme {
        case "redis":
            var hostPort = rest
            if let slash = rest.firstIndex(of: "/") {
                hostPort = String(rest[..<slash])
                let dbPart = rest[rest.index(after: slash)...]
                if !dbPart.isEmpty {
                    guard let n = Int(dbPart), n >= 0 else { throw fail("database number '\(dbPart)' is not a non-negative integer") }
                    db = n
                }
            }
            var host = hostPort
            var port = 6379
            if hostPort.hasPrefix("[") {  // [::1]:6379
                guard let close = hostPort.firstIndex(of: "]") else { throw fail("unterminated IPv6 address") }
                host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
                let after = hostPort[hostPort.index(after: close)...]
                if after.hasPrefix(":") {
                    guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw fail("invalid port") }
                    port = p
                }
            } else if let colon = hostPort.lastIndex(of: ":") {
                host = String(hostPort[..<colon])
                let portText = hostPort[hostPort.index(after: colon)...]
                guard let p = Int(portText), (1...65535).contains(p) else { throw fail("invalid port '\(portText)'") }
                port = p
            }
            if host.isEmpty { host = "127.0.0.1" }
            self.init(endpoint: .tcp(host: host, port: port), database: db, username: user, password: pass)
        case "unix":
            guard rest.hasPrefix("/") else { throw fail("unix socket path must be absolute") }
            self.init(endpoint: .unix(path: rest), database: db, username: user, password: pass)
        case "rediss":
            throw fail("TLS (rediss://) is not supported by hiredis 0.14; use a local TLS proxy or a unix socket")
        default:
            throw fail("unknown scheme '\(scheme)'")
        }
    }

    /// The same server with another database number.
    public func withDatabase(_ db: Int) -> RedisURL {
        var copy = self
        copy.database = db
        return copy
    }

    /// Endpoint and database, without credentials.
    public var description: String {
        let auth = password == nil ? "" : "\(username ?? ""):<redacted>@"
        switch endpoint {
        case .tcp(let host, let port):
            let h = host.contains(":") ? "[\(host)]" : host
            return "redis://\(auth)\(h):\(port)/\(database)"
        case .unix(let path):
            return "unix://\(auth)\(path)?db=\(database)"
        }
    }
}
