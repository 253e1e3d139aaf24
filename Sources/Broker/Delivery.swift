public import Foundation

/// One message this worker holds under a lease, as the broker took it from a queue list.
public struct Delivery: Sendable, Hashable {
    /// This worker's lease tag (unique per worker run).
    public var tag: String
    /// The list the message came from (e.g. `services\u{06}\u{16}3`); it goes back there if returned.
    public var sourceKey: String
    /// The original bytes, untouched.
    public var raw: [UInt8]

    public init(tag: String, sourceKey: String, raw: [UInt8]) {
        self.tag = tag
        self.sourceKey = sourceKey
        self.raw = raw
    }
}

/// What happens to a delivery when its outcome is known. Applied atomically with the removal of
/// the lease: nothing is lost between the two.
public struct Settlement: Sendable {
    enum Op: Sendable {
        case push(key: String, bytes: [UInt8], front: Bool)
        case delay(id: String, due: Date, key: String, bytes: [UInt8])
        case dead(DeadLetter)
    }

    var ops: [Op] = []

    public init() {}

    /// Plain acknowledgement: the message is done.
    public static var ack: Settlement { Settlement() }

    /// Publish a message (a chain continuation, a callback) as part of the acknowledgement: LPUSH,
    /// as a Celery producer does.
    public func publishing(_ bytes: [UInt8], to key: String) -> Settlement {
        var copy = self
        copy.ops.append(.push(key: key, bytes: bytes, front: false))
        return copy
    }

    /// Put bytes back at the popping end of `key` (RPUSH, as kombu restores unacknowledged messages).
    public func returning(_ bytes: [UInt8], to key: String) -> Settlement {
        var copy = self
        copy.ops.append(.push(key: key, bytes: bytes, front: true))
        return copy
    }

    /// Store bytes in the delayed set; at `due` they are LPUSHed onto `key`.
    public func delaying(_ bytes: [UInt8], to key: String, until due: Date, id: String = UUID().uuidString.lowercased()) -> Settlement {
        var copy = self
        copy.ops.append(.delay(id: id, due: due, key: key, bytes: bytes))
        return copy
    }

    /// Move the message (its original bytes) to the dead letters.
    public func deadLettering(_ letter: DeadLetter) -> Settlement {
        var copy = self
        copy.ops.append(.dead(letter))
        return copy
    }
}

/// A message that could not be processed, with why and when. The original bytes are kept by the broker.
public struct DeadLetter: Sendable, Hashable, Codable {
    /// The dead letter's id: the task id when known, else a fresh uuid.
    public var id: String
    /// Task name when known ("" for undecodable messages).
    public var task: String
    public var reason: String
    /// Queue name (e.g. `services`).
    public var queue: String
    /// The list the original bytes go back to on requeue.
    public var key: String
    /// When it was dead-lettered.
    public var at: Date

    public init(id: String, task: String, reason: String, queue: String, key: String, at: Date = Date()) {
        self.id = id
        self.task = task
        self.reason = reason
        self.queue = queue
        self.key = key
        self.at = at
    }
}

/// A dead letter with its original bytes, as listed by `dead-letters list`.
public struct StoredDeadLetter: Sendable, Hashable {
    public var letter: DeadLetter
    public var raw: [UInt8]
}
