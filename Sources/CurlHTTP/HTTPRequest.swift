/// One HTTP request, as a Sendable value. Header values may be secret (Authorization): this type
/// never prints them.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable, Hashable {
        case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE", head = "HEAD"
    }

    /// Time limits of one request.
    public struct Timeouts: Sendable, Hashable {
        /// TCP + TLS connect.
        public var connect: Duration
        /// The whole exchange, connect included.
        public var total: Duration

        public init(connect: Duration = .seconds(5), total: Duration = .seconds(30)) {
            self.connect = connect
            self.total = total
        }
    }

    public var method: Method
    /// Absolute `https://` URL (`http://` only for loopback hosts).
    public var url: String
    /// Header lines in order; names are sent as given.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    public var timeouts: Timeouts

    public init(
        method: Method,
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeouts: Timeouts = Timeouts()
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}

extension HTTPRequest: CustomStringConvertible {
    /// Method and URL without query; never header values or the body.
    public var description: String {
        "\(method.rawValue) \(URLCheck.withoutQuery(url))"
    }
}
