public import Foundation
public import RedisClient

/// Progress of one bulk task, kept in Redis (`status` reads it from any process).
///
/// A bulk sync reads and diffs everyone first (fast: unchanged members are done at once), then sends the
/// changes at Discord's pace. The ETA therefore comes from the sending phase only: `sendingSince` and
/// `doneWhenSendingStarted` mark its start, and the rate since then estimates what is left.
public struct BulkProgress: Sendable, Codable, Hashable {
    public var taskID: String
    public var task: String
    public var done: Int
    public var total: Int
    public var changed: Int
    public var failed: Int
    public var startedAt: Date
    public var updatedAt: Date
    public var finished: Bool
    /// When the requests started (nil while reading and planning).
    public var sendingSince: Date?
    /// `done` at that moment (members that needed nothing, or could not be read).
    public var doneWhenSendingStarted: Int?

    /// The JSON names `status --json` and other processes read (explicit: no key strategy can round-trip
    /// `taskID`).
    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", task, done, total, changed, failed
        case startedAt = "started_at", updatedAt = "updated_at", finished
        case sendingSince = "sending_since", doneWhenSendingStarted = "done_when_sending_started"
    }

    public init(taskID: String, task: String, done: Int = 0, total: Int = 0, changed: Int = 0, failed: Int = 0,
                startedAt: Date = Date(), updatedAt: Date = Date(), finished: Bool = false,
                sendingSince: Date? = nil, doneWhenSendingStarted: Int? = nil) {
        self.taskID = taskID
        self.task = task
        self.done = done
        self.total = total
        self.changed = changed
        self.failed = failed
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.finished = finished
        self.sendingSince = sendingSince
        self.doneWhenSendingStarted = doneWhenSendingStarted
    }

    /// Estimated seconds left: 0 when finished, nil until the sending phase has a measurable rate.
    public var etaSeconds: Double? {
        if finished || done >= total { return 0 }
        guard let since = sendingSince, let base = doneWhenSendingStarted else { return nil }
        let sent = done - base
        let elapsed = updatedAt.timeIntervalSince(since)
        guard sent > 0, elapsed > 0 else { return nil }
        return elapsed / Double(sent) * Double(total - done)
    }
}

/// Writes bulk progress for `status`; a no-op when created without Redis (unit tests).
public struct BulkProgressReporter: Sendable {
    let redis: RedisClient?
    let keys: BrokerKeys

    public init(redis: RedisClient?, keys: BrokerKeys = BrokerKeys()) {
        self.redis = redis
        self.keys = keys
    }

    public static let none = BulkProgressReporter(redis: nil)

    public func report(_ progress: BulkProgress) async {
        guard let redis, let data = try? JSONEncoder.progress.encode(progress) else { return }
        if progress.finished {
            // Keep finished entries for an hour so `status` can show the last result.
            _ = try? await redis.pipeline([
                ["HSET", RedisArgument(keys.bulkProgress), RedisArgument(progress.taskID), RedisArgument(bytes: Array(data))],
                ["EXPIRE", RedisArgument(keys.bulkProgress), 3600],
            ])
        } else {
            _ = try? await redis.command(["HSET", RedisArgument(keys.bulkProgress), RedisArgument(progress.taskID), RedisArgument(bytes: Array(data))])
        }
    }

    /// Every bulk progress entry (running and recently finished).
    public static func all(redis: RedisClient, keys: BrokerKeys = BrokerKeys()) async throws -> [BulkProgress] {
        let flat = try await redis.command(["HGETALL", RedisArgument(keys.bulkProgress)]).array ?? []
        var result: [BulkProgress] = []
        var i = 1
        while i < flat.count {
            if let bytes = flat[i].bytes, let p = try? JSONDecoder.progress.decode(BulkProgress.self, from: Data(bytes)) { result.append(p) }
            i += 2
        }
        return result.sorted { $0.startedAt < $1.startedAt }
    }
}

extension JSONEncoder {
    static var progress: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }
}

extension JSONDecoder {
    static var progress: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }
}
