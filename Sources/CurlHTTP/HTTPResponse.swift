/// Response header fields in arrival order; lookups ignore ASCII case and keep repeated fields.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public mutating func append(name: String, value: String) {
        fields.append((name, value))
    }

    /// The first value of `name`, or nil.
    public subscript(name: String) -> String? {
        fields.first { Self.equalsIgnoringASCIICase($0.name, name) }?.value
    }

    /// Every value of `name`, in order.
    public func values(for name: String) -> [String] {
        fields.filter { Self.equalsIgnoringASCIICase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool {
        self[name] != nil
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    static func equalsIgnoringASCIICase(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { lowerASCII($0) == lowerASCII($1) }
    }

    static func lowerASCII(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}

/// A complete response. Any status is a response; only transport failures throw.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The exchange ran on a connection kept alive from an earlier one (no new TCP/TLS handshake).
    public var reusedConnection: Bool

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], reusedConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.reusedConnection = reusedConnection
    }
}

/// Header-line parsing on bytes (a `"\r\n"` is a single `Character`, so String trimming misleads).
enum HeaderLine {
    enum Parsed: Equatable {
        /// `HTTP/1.1 200 OK`: a new response begins (after 1xx or a redirect); earlier fields are dropped.
        case statusLine
        case field(name: String, value: String)
        /// The empty line ending a header block, or a line without a colon.
        case other
    }

    static func parse(_ line: some Collection<UInt8>) -> Parsed {
        var bytes = Array(line)
        while let last = bytes.last, last == 0x0D || last == 0x0A { bytes.removeLast() }
        if bytes.isEmpty { return .other }
        if bytes.starts(with: Array("HTTP/".utf8)) { return .statusLine }
        guard let colon = bytes.firstIndex(of: 0x3A), colon > 0 else { return .other }
        let name = trim(bytes[..<colon])
        let value = trim(bytes[(colon + 1)...])
        return .field(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    private static func trim(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice.removeFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice.removeLast() }
        return slice
    }
}
