import Foundation
public import PythonCompat

/// One remote-control message from `celery inspect`/`celery control` (kombu `Mailbox._publish`): the body
/// `{"method", "arguments", "destination", "pattern", "matcher"}` plus `ticket`/`reply_to` when a reply
/// is expected.
public struct PidboxRequest: Sendable, Equatable {
    public var method: String
    public var arguments: JSONObject
    /// Node names; `nil` (or empty) means every node unless a pattern is given.
    public var destination: [String]?
    public var pattern: String?
    public var matcher: String?
    public var ticket: String?
    /// `reply_to.exchange` / `reply_to.routing_key`.
    public var replyExchange: String?
    public var replyRoutingKey: String?
    /// The Lamport clock of the sender (`headers.clock`).
    public var clock: Int64

    public init(method: String, arguments: JSONObject = [:], destination: [String]? = nil, pattern: String? = nil,
                matcher: String? = nil, ticket: String? = nil, replyExchange: String? = nil,
                replyRoutingKey: String? = nil, clock: Int64 = 0) {
        self.method = method
        self.arguments = arguments
        self.destination = destination
        self.pattern = pattern
        self.matcher = matcher
        self.ticket = ticket
        self.replyExchange = replyExchange
        self.replyRoutingKey = replyRoutingKey
        self.clock = clock
    }

    /// Decodes a message published on the `celery.pidbox` channel.
    public static func decode(_ payload: [UInt8]) -> Result<PidboxRequest, KombuDecodeError> {
        let decoded: (body: JSONValue, headers: JSONObject)
        switch KombuFanout.decode(payload) {
        case .success(let value): decoded = value
        case .failure(let error): return .failure(error)
        }
        guard let body = decoded.body.objectValue, let method = body["method"]?.stringValue else {
            return .failure(KombuDecodeError("pidbox message has no method"))
        }
        var request = PidboxRequest(method: method)
        request.arguments = body["arguments"]?.objectValue ?? [:]
        request.destination = body["destination"]?.arrayValue?.compactMap(\.stringValue)
        request.pattern = body["pattern"]?.stringValue
        request.matcher = body["matcher"]?.stringValue
        request.ticket = body["ticket"]?.stringValue
        if let replyTo = body["reply_to"]?.objectValue {
            request.replyExchange = replyTo["exchange"]?.stringValue
            request.replyRoutingKey = replyTo["routing_key"]?.stringValue
        }
        request.clock = decoded.headers["clock"]?.int64Value ?? 0
        return .success(request)
    }

    /// Whether `node` must handle this message (kombu `Node.handle_message`): listed in `destination`; else
    /// matched by `pattern` with `matcher` (`glob`: fnmatch, `pcre`: `re.match`); else every node.
    public func isAddressed(to node: String) -> Bool {
        if let destination, !destination.isEmpty { return destination.contains(node) }
        if let pattern, let matcher {
            switch matcher {
            case "glob": return fnmatch(pattern, node, 0) == 0
            case "pcre":
                guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
                let range = NSRange(node.startIndex..., in: node)
                return regex.firstMatch(in: node, options: .anchored, range: range) != nil
            default: return false
            }
        }
        return true
    }

    /// True when the sender waits for a reply.
    public var wantsReply: Bool { replyExchange != nil && replyRoutingKey != nil }
}
