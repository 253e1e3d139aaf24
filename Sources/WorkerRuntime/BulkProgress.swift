public import Foundation
public import RedisClient
public import Broker

/// Progress of one bulk task, kept in Redis (`status` reads it from any process).
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

    public init(taskID: String, task: String, done: Int = 0, total: Int = 0, changed: Int = 0, failed: Int = 0,
                startedAt: Date = Date(), updatedAt: Date = Date(), finished: Bool = false) {
        self.taskID = taskID
        self.task = task
        self.done = done
        self.total = total
        self.changed = changed
        self.failed = failed
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.finished = finished
    }

    /// Estimated seconds left, from the rate so far.
    public var etaSeconds: Double? {
        guard done > 0, total > done else { return total == done ? 0 : nil }
        let elapsed = updatedAt.timeIntervalSince(startedAt)
        return elapsed / Double(done) * Double(total - done)
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
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }
}

extension JSONDecoder {
    static var progress: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
