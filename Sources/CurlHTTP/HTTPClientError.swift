/// A transport failure: no complete HTTP response. Messages name the request (method, URL without
/// query) and curl's reason, never a header value.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// Connect or total time limit reached.
        case timeout
        /// DNS, refused, unreachable.
        case connectFailed
        /// TLS handshake or certificate verification failed.
        case tls
        /// `http://` to a host that is not loopback.
        case insecureURL
        /// Not an absolute http(s) URL.
        case invalidURL
        /// A header name or value that cannot be sent (CR, LF or NUL in it).
        case invalidRequest
        /// The client was shut down.
        case shutdown
        /// The calling task was cancelled.
        case cancelled
        /// The response body exceeded the configured maximum.
        case responseTooLarge
        /// Any other libcurl error (its CURLcode).
        case other(Int)
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "HTTPClientError(\(code)): \(message)" }
}
